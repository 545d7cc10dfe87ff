#!/usr/bin/env node
// tug: the command line of tugboat. This file only wires commands to their
// implementations in cli/commands/.
import { Command, Option } from 'commander';
import { CliContext, type GlobalOptions } from './context.js';
import { errorLine } from './errors.js';
import { apply, parseDryRun } from './commands/apply.js';
import { get } from './commands/get.js';
import { describe } from './commands/describe.js';
import { del } from './commands/delete.js';
import { create } from './commands/create.js';
import { version, clientVersion } from './commands/version.js';
import { scale } from './commands/scale.js';
import { expose } from './commands/expose.js';
import { rolloutHistory, rolloutPause, rolloutRestart, rolloutStatusCommand, rolloutUndo } from './commands/rollout.js';
import { cordon, drain } from './commands/node.js';
import { logs, type LogsFlags } from './commands/logs.js';
import { exec } from './commands/exec.js';
import { imageCommand } from './commands/image-push.js';
import { clusterCommand } from './commands/cluster.js';

const collect = (v: string, prev: string[]) => [...prev, v];
const bool = (v: string | boolean | undefined) => v === undefined || v === true || !/^(false|0|no)$/i.test(String(v));

let exitCode = 0;

/** Runs a command with a context built from the global flags; any error ends it as `error: ...`, exit 1. */
function action<A extends unknown[]>(fn: (ctx: CliContext, ...args: A) => Promise<number>) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    let ctx: CliContext | undefined;
    try {
      ctx = new CliContext(cmd.optsWithGlobals() as GlobalOptions);
      exitCode = await fn(ctx, ...(args.slice(0, -1) as A));
    } catch (e) {
      process.stderr.write(errorLine(e) + '\n');
      exitCode = 1;
    } finally {
      ctx?.close();
    }
  };
}

const program = new Command('tug')
  .description('tug controls a tugboat cluster through its apiserver')
  .version(clientVersion(), '--client-version', 'print the client version and exit')
  .option('-s, --server <host:port>', 'apiserver address (else $TUG_SERVER, else the config file, else 127.0.0.1:6443)')
  .option('-n, --namespace <namespace>', 'namespace to work in (else the config file, else "default")')
  .showHelpAfterError('(run with --help for usage)')
  .enablePositionalOptions(false);

program
  .command('apply')
  .description('create or update objects from YAML or JSON files')
  .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [])
  .option('-R, --recursive', 'read directories given to -f recursively')
  .addOption(new Option('--dry-run [mode]', 'only show what would happen: client or server').preset('client'))
  .action(
    action(async (ctx, opts: { filename: string[]; recursive?: boolean; dryRun?: string | boolean }) =>
      apply(ctx, { filename: opts.filename, recursive: opts.recursive, dryRun: parseDryRun(opts.dryRun) }),
    ),
  );

program
  .command('get')
  .description('list objects: KIND[,KIND...] [NAME...] or KIND/NAME...')
  .argument('<args...>', 'kinds and names')
  .option('-A, --all-namespaces', 'list across all namespaces')
  .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
  .option('--field-selector <selector>', 'field selector, e.g. spec.nodeName=node1')
  .option('-o, --output <format>', 'wide, yaml, json or name')
  .option('-w, --watch', 'after listing, print each change')
  .option('--watch-only', 'print changes only, without the list first')
  .option('--show-labels', 'add a LABELS column')
  .option('--no-headers', 'omit the header row')
  .option('--ignore-not-found', 'do not fail for names that do not exist')
  .action(
    action(async (ctx, args: string[], o: Record<string, unknown>) =>
      get(ctx, args, {
        allNamespaces: !!o.allNamespaces,
        selector: o.selector as string | undefined,
        fieldSelector: o.fieldSelector as string | undefined,
        output: o.output as string | undefined,
        watch: !!o.watch,
        watchOnly: !!o.watchOnly,
        showLabels: !!o.showLabels,
        noHeaders: o.headers === false,
        ignoreNotFound: !!o.ignoreNotFound,
      }),
    ),
  );

program
  .command('describe')
  .description('show an object in detail, with its events: KIND [NAME...] or KIND/NAME...')
  .argument('<args...>', 'kind and names')
  .option('-A, --all-namespaces', 'describe across all namespaces (without names)')
  .option('-l, --selector <selector>', 'label selector (without names)')
  .action(action(async (ctx, args: string[], o: { allNamespaces?: boolean; selector?: string }) => describe(ctx, args, o)));

program
  .command('delete')
  .description('delete objects: -f FILE, KIND NAME..., KIND/NAME..., or KIND -l SELECTOR | --all')
  .argument('[args...]', 'kind and names')
  .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [])
  .option('-R, --recursive', 'read directories given to -f recursively')
  .option('-l, --selector <selector>', 'delete the objects matching this label selector')
  .option('--all', 'delete every object of the kind in the namespace')
  .option('--cascade [mode]', 'background (default), foreground or orphan', 'background')
  .option('--grace-period <seconds>', 'seconds a pod gets to stop; -1 for its own default')
  .option('--ignore-not-found', 'treat missing objects as deleted')
  .option('--wait [bool]', 'wait until the objects are gone (default true)')
  .option('--timeout <duration>', 'how long to wait, e.g. 60s; 0 waits forever', '0')
  .action(
    action(async (ctx, args: string[], o: Record<string, unknown>) =>
      del(ctx, args, {
        filename: o.filename as string[],
        recursive: !!o.recursive,
        selector: o.selector as string | undefined,
        all: !!o.all,
        cascade: o.cascade === true ? 'background' : (o.cascade as string),
        gracePeriod: o.gracePeriod as string | undefined,
        ignoreNotFound: !!o.ignoreNotFound,
        wait: bool(o.wait as string | boolean | undefined),
        timeout: o.timeout as string,
      }),
    ),
  );

program
  .command('create')
  .description('create objects: create namespace NAME, or create -f FILE')
  .argument('[args...]', 'namespace NAME')
  .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [])
  .option('-R, --recursive', 'read directories given to -f recursively')
  .option('--save-config', 'record the configuration so a later apply can remove fields')
  .action(action(async (ctx, args: string[], o: { filename: string[]; recursive?: boolean; saveConfig?: boolean }) => create(ctx, args, o)));

program
  .command('version')
  .description('print the client and server versions')
  .option('--client', 'client version only')
  .option('-o, --output <format>', 'json')
  .action(action(async (ctx, o: { client?: boolean; output?: string }) => version(ctx, o)));

program
  .command('scale')
  .description('set the replicas of a deployment or replicaset: scale KIND/NAME --replicas N')
  .argument('<args...>', 'KIND/NAME or KIND NAME')
  .requiredOption('--replicas <n>', 'the new number of replicas')
  .option('--current-replicas <n>', 'only scale if the current replicas are this many')
  .action(action(async (ctx, args: string[], o: { replicas: string; currentReplicas?: string }) => scale(ctx, args, o)));

program
  .command('expose')
  .description('make a Service for the pods of a deployment, replicaset, pod or service: expose deployment/NAME --port P')
  .argument('<args...>', 'KIND/NAME or KIND NAME')
  .option('--port <port>', 'the Service port (default: the pods\' container port)')
  .option('--target-port <port>', 'the container port (number or name) traffic goes to (default: --port)')
  .option('--type <type>', 'ClusterIP, NodePort or LoadBalancer', 'ClusterIP')
  .option('--node-port <port>', 'the node port to ask for (NodePort)')
  .option('--protocol <protocol>', 'TCP or UDP', 'TCP')
  .option('--name <name>', 'the Service name (default: the exposed object\'s)')
  .action(action(async (ctx, args: string[], o: { port?: string; targetPort?: string; type?: string; nodePort?: string; protocol?: string; name?: string }) => expose(ctx, args, o)));

const rollout = program.command('rollout').description('manage the rollout of a deployment');
rollout
  .command('status')
  .description('follow a rollout until it completes')
  .argument('<args...>', 'deployment/NAME')
  .option('-w, --watch [bool]', 'keep watching until done (default true)')
  .option('--timeout <duration>', 'give up after this long, e.g. 5m; 0 waits forever', '0')
  .action(action(async (ctx, args: string[], o: { watch?: string | boolean; timeout?: string }) => rolloutStatusCommand(ctx, args, { watch: bool(o.watch), timeout: o.timeout })));
rollout
  .command('history')
  .description('list the revisions of a deployment')
  .argument('<args...>', 'deployment/NAME')
  .option('--revision <n>', 'show the pod template of this revision')
  .action(action(async (ctx, args: string[], o: { revision?: string }) => rolloutHistory(ctx, args, o)));
rollout
  .command('undo')
  .description('roll back to the previous revision, or to --to-revision')
  .argument('<args...>', 'deployment/NAME')
  .option('--to-revision <n>', 'the revision to go back to (default: the previous one)')
  .action(action(async (ctx, args: string[], o: { toRevision?: string }) => rolloutUndo(ctx, args, o)));
rollout
  .command('restart')
  .description('replace every pod of a deployment by a rolling update')
  .argument('<args...>', 'deployment/NAME')
  .action(action(async (ctx, args: string[]) => rolloutRestart(ctx, args)));
rollout
  .command('pause')
  .description('stop rolling out changes to a deployment')
  .argument('<args...>', 'deployment/NAME')
  .action(action(async (ctx, args: string[]) => rolloutPause(ctx, args, true)));
rollout
  .command('resume')
  .description('resume rolling out changes to a paused deployment')
  .argument('<args...>', 'deployment/NAME')
  .action(action(async (ctx, args: string[]) => rolloutPause(ctx, args, false)));

program
  .command('cordon')
  .description('mark nodes unschedulable')
  .argument('<nodes...>', 'node names')
  .action(action(async (ctx, nodes: string[]) => cordon(ctx, nodes, true)));
program
  .command('uncordon')
  .description('mark nodes schedulable again')
  .argument('<nodes...>', 'node names')
  .action(action(async (ctx, nodes: string[]) => cordon(ctx, nodes, false)));
program
  .command('drain')
  .description('cordon a node and delete its pods, waiting until they are gone')
  .argument('<node>', 'node name')
  .option('--force', 'also delete pods that no controller will recreate')
  .option('--ignore-daemonsets', 'leave DaemonSet-managed pods in place')
  .option('--delete-emptydir-data', 'also delete pods using emptyDir volumes (their data is lost)')
  .option('--grace-period <seconds>', 'seconds each pod gets to stop; -1 for its own default')
  .option('--timeout <duration>', 'give up waiting after this long; 0 waits forever', '0')
  .action(action(async (ctx, node: string, o: Record<string, unknown>) => drain(ctx, node, o)));

program
  .command('logs')
  .description("print a container's log: POD, or deployment/NAME for one of its pods")
  .argument('<pod>', 'pod name, pod/NAME, deployment/NAME or replicaset/NAME')
  .option('-c, --container <name>', 'the container (default: the only one, else the first)')
  .option('-f, --follow', 'keep printing new output until the container ends')
  .option('--tail <lines>', 'only the last N lines (-1: all)')
  .option('-p, --previous', 'the log of the previous, terminated instance of the container')
  .option('--timestamps', 'prefix each line with its time (RFC 3339)')
  .option('--since <duration>', 'only lines newer than this, e.g. 30s, 5m, 1h')
  .action(action(async (ctx, pod: string, o: LogsFlags) => logs(ctx, pod, o)));

program
  .command('exec')
  .description('run a command in a container: exec POD [-c NAME] [-i] [-t] -- COMMAND [ARGS...]; its exit code becomes tug\'s')
  .argument('<pod>', 'pod name, pod/NAME, deployment/NAME or replicaset/NAME')
  .argument('[command...]', 'the command and its arguments, after --')
  .option('-c, --container <name>', 'the container (default: the only one, else the first)')
  .option('-i, --stdin', 'pass stdin to the command')
  .option('-t, --tty', 'run the command under a terminal (with -i: an interactive session)')
  .action(action(async (ctx, pod: string, command: string[], o: { container?: string; stdin?: boolean; tty?: boolean }) => exec(ctx, pod, command, o)));

program.addCommand(imageCommand());
program.addCommand(clusterCommand());

// `tug get pods | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(exitCode);
  throw e;
});

await program.parseAsync(process.argv);
// gRPC keeps sockets and timers alive a little after close(); the command is done.
// (Commands built outside `action`, like `image push`, report failure through process.exitCode.)
process.exit(exitCode || Number(process.exitCode ?? 0));
