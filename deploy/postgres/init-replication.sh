#!/bin/bash
# The primary's side of streaming replication (docker-compose.yml, service db): run once by the
# postgres image when it initialises an empty data directory (/docker-entrypoint-initdb.d).
# A role that may replicate, and a pg_hba.conf line letting it connect for replication with a
# password (the image's own lines cover the databases, not the replication protocol).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v role="$REPLICATION_USER" -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"role" WITH REPLICATION LOGIN PASSWORD :'password';
SQL

echo "host replication ${REPLICATION_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
