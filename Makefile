# Switchboard: `make run` sets up and starts the console; `make test` sets up
# and runs every test; `make bench` prints the performance figures.
.PHONY: run test bench headless sim setup clean

run:
	@scripts/setup.sh app
	.venv/bin/python app.py $(ARGS)

headless:
	@scripts/setup.sh app
	.venv/bin/python app.py --headless $(ARGS)

sim:
	@scripts/setup.sh app
	.venv/bin/python -m sim $(ARGS)

test:
	@scripts/setup.sh test
	@scripts/test.sh $(ARGS)

bench:
	@scripts/setup.sh test
	.venv/bin/python -m bench $(ARGS)

clean:
	rm -rf data test-artifacts .pytest_cache
