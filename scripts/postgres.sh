# PostgreSQL for the tests: sourced by scripts/test-all.sh (and usable on its own with
# `. scripts/postgres.sh; postgres_url mydb`).
#
# As root on a machine with Debian's PostgreSQL 15 (as CI runs), it starts the cluster if it
# is not running and creates the role `quorumkey` (password `quorumkey`, local tests only).
# `postgres_url NAME` then creates database NAME afresh and prints its URL. Where the
# cluster cannot be started this way, `postgres_url` prints nothing and the PostgreSQL tests
# skip with a message — except in CI (`CI` set), where that is an error.

postgres_available=0
if ! command -v pg_lsclusters >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && [ -n "${CI:-}" ]; then
    apt-get install -y --no-install-recommends postgresql-15 >/dev/null
fi
if command -v pg_lsclusters >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    if ! pg_lsclusters 2>/dev/null | grep -q online; then
        pg_ctlcluster 15 main start
    fi
    for _ in $(seq 1 30); do
        su postgres -c "pg_isready -q" && break
        sleep 1
    done
    su postgres -c "psql -qc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'quorumkey') THEN CREATE ROLE quorumkey LOGIN CREATEDB PASSWORD 'quorumkey'; END IF; END \\\$\\\$;\""
    postgres_available=1
elif [ -n "${CI:-}" ]; then
    echo "PostgreSQL 15 is required in CI (run as root with Debian's postgresql installed)" >&2
    exit 1
else
    echo "PostgreSQL not available here: its tests will skip"
fi

postgres_url() {
    if [ "$postgres_available" = 1 ]; then
        su postgres -c "dropdb --if-exists $1 && createdb -O quorumkey $1" >/dev/null
        printf 'postgres://quorumkey:quorumkey@127.0.0.1:5432/%s' "$1"
    fi
}
