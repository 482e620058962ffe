#!/bin/sh
# Entry point of the redis stand-in image (see Dockerfile). Written from the official image's
# documented behaviour, not copied from it.
set -e

# Flags (`--port 7000`) or a config file (`/etc/redis.conf`) mean "run redis-server with them".
case "$1" in
  -*) set -- redis-server "$@" ;;
  *.conf) set -- redis-server "$@" ;;
esac

# Started as root: give the working folder to `redis` and run the server as that user.
# Started with --user: run as that user and touch no ownership.
if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

# Files the server writes (RDB, AOF, ACL SAVE, CONFIG REWRITE) are private unless the
# caller chose a umask other than the default 0022.
if [ "$(umask)" = '0022' ]; then
  umask 0077
fi

exec "$@"
