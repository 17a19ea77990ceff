#!/bin/bash
# The read replica (docker-compose.yml, service db-replica): on first start, copy the primary
# with pg_basebackup -R (which writes standby.signal and primary_conninfo), then run postgres
# as a hot standby streaming from it. Runs as the postgres user.
set -euo pipefail

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -U "$REPLICATION_USER" -q; do
    echo "replica: waiting for the primary at $PRIMARY_HOST"
    sleep 2
  done
  rm -rf "${PGDATA:?}"/*
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -U "$REPLICATION_USER" \
    -D "$PGDATA" -R -X stream --checkpoint=fast --progress
  chmod 0700 "$PGDATA"
fi

exec postgres -c hot_standby=on -c hot_standby_feedback=on
