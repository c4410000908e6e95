.PHONY: up up-services test lint typecheck build image bench clean

# All four services in one process on :8080, embedded PGlite under .data/, in-memory Redis.
up:
	npm ci --no-audit --no-fund && npm start

# The whole suite: installs Postgres/Redis/helm when missing, starts and stops them.
test:
	bash scripts/test.sh

lint:
	npm run lint

typecheck:
	npm run generate && npm run typecheck

build:
	npm run generate && npm run build

image:
	docker build -f deploy/Dockerfile -t airlock:dev .

clean:
	rm -rf node_modules services/*/dist services/common/src/generated .turbo
