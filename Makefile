# The README's two commands are `npm start` (or make up) and `make test`.
.PHONY: up test lint typecheck build image bench clean

# All four services in one process on :8080, embedded PGlite under .data/, in-memory Redis.
up:
	npm start

# The whole suite: installs Postgres/Redis/helm when missing, starts and stops them.
test:
	bash scripts/test.sh

lint:
	npm run lint

typecheck:
	bash scripts/ensure-deps.sh && npm run typecheck

build:
	bash scripts/ensure-deps.sh && npm run build

# Daemonless and offline: OCI layout + docker-load tarball under .tools/image/<input digest>/
# (scripts/image/build.sh; an unchanged tree reuses the cached build). With Docker instead:
# docker build -f deploy/Dockerfile -t airlock:dev .
image:
	bash scripts/image/build.sh

clean:
	rm -rf node_modules services/*/dist services/common/src/generated .turbo
