#!/usr/bin/env bash
# The README's first command. On a Debian 12 machine, as root, from the
# repository: installs what is missing, builds, brings up a 3-node local
# cluster, applies the web example and shows its pods spread over the nodes,
# then asks the web Service a few times from inside a node.
#
#   sudo bash scripts/quickstart.sh
#
# Environment: TUG_CLUSTER (cluster name, default tug), TUG_NODES (default 3).
# Run it again at any time: every step is a no-op when already done.
# Remove the cluster with: node dist/cli/main.js cluster down --name tug
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NAME=${TUG_CLUSTER:-tug}
NODES=${TUG_NODES:-3}
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }
tug() { node dist/cli/main.js "$@"; }

[[ $(id -u) -eq 0 ]] || die "run it as root (network namespaces, cgroups and containers need it): sudo bash scripts/quickstart.sh"

step "system packages (scripts/install-deps.sh)"
bash scripts/install-deps.sh

step "Node.js"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  die "Node.js 20 (with npm) is needed and not installed; Debian 12's own nodejs is 18, too old: install Node.js 20 from https://nodejs.org (or NodeSource's Debian packages) and run this again"
fi
major=$(node -p 'process.versions.node.split(".")[0]')
(( major >= 20 )) || die "Node.js $(node --version) is too old: tugboat needs Node.js 20 or newer"
echo "node $(node --version), npm $(npm --version)"

step "npm ci"
npm ci --no-audit --no-fund

step "npm run build"
npm run build

step "tug cluster up --name $NAME --nodes $NODES"
tug cluster up --name "$NAME" --nodes "$NODES"

step "tug apply -f examples/web.yaml"
tug apply -f examples/web.yaml
tug rollout status deployment/web --timeout 5m

step "tug get pods -l app=web -o wide"
tug get pods -l app=web -o wide
nodes=$(tug get pods -l app=web -o json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const items = JSON.parse(s).items ?? [];
    console.log(new Set(items.map((p) => p.spec?.nodeName).filter(Boolean)).size);
  });')
echo "the web pods run on $nodes node(s)"

step "pod to pod across nodes: one web pod fetches another's page by its IP"
pair=$(tug get pods -l app=web -o json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const pods = (JSON.parse(s).items ?? []).filter((p) => p.status?.podIP);
    const a = pods[0], b = pods.find((p) => p.spec?.nodeName !== a?.spec?.nodeName);
    if (a && b) console.log(`${a.metadata.name} ${a.spec.nodeName} ${b.status.podIP} ${b.spec.nodeName}`);
  });')
if [[ -n $pair ]]; then
  read -r from from_node to_ip to_node <<<"$pair"
  echo "  $from ($from_node) -> $to_ip ($to_node):"
  tug exec "$from" -- timeout 5 wget -q -O- "http://$to_ip/" | sed 's/^/  /' || echo "  no answer: check the routes in the node namespaces (ip netns exec tug-$NAME-node-1 ip route)"
fi

step "the web Service, asked 6 times from node-1's network namespace"
tug get service web
ip=$(tug get service web -o json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).spec?.clusterIP ?? ""')
answered=0
if [[ -n $ip ]]; then
  for _ in 1 2 3 4 5 6; do
    # Debian's busybox wget -T crashes; timeout bounds it instead.
    if reply=$(ip netns exec "tug-$NAME-node-1" busybox timeout 3 busybox wget -q -O- "http://$ip/" 2>/dev/null); then
      echo "  $reply"
      answered=$((answered + 1))
    fi
  done
fi
if (( answered == 0 )); then
  echo "  the Service did not answer (yet): check \`tug get endpoints web\` and the agents' logs under /var/lib/tugboat/$NAME/logs"
fi

cat <<EOT

Done: cluster "$NAME" runs $NODES nodes; the web example is applied.
  alias tug="node $PWD/dist/cli/main.js"      # or: npm link
  tug get nodes -o wide
  tug get pods -o wide
  tug cluster status --name $NAME
  tug cluster down --name $NAME              # removes everything the cluster made
EOT
