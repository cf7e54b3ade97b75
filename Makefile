.PHONY: bench bench-postgres python
# bench runs the comparison in bench/run.sh (QUICK=1 for a fast check).
bench:
	bench/run.sh

# bench-postgres loads 1,000 symbols into PostgreSQL against psql's \copy
# (bench/postgres.sh; SYMBOLS=100 RUNS=1 for a fast check).
bench-postgres:
	bench/postgres.sh

# python builds the Go library of the Python package in place, so that
# PYTHONPATH=python python3 -c "import goloader" works (needs Go and a C
# compiler; pip install ./python does the same for an installed package).
python:
	CGO_ENABLED=1 go build -buildmode=c-shared -trimpath -ldflags="-s -w" -o python/goloader/libgoloader.so ./python/libgoloader
