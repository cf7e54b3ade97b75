.PHONY: bench bench-postgres
# bench runs the comparison in bench/run.sh (QUICK=1 for a fast check).
bench:
	bench/run.sh

# bench-postgres loads 1,000 symbols into PostgreSQL against psql's \copy
# (bench/postgres.sh; SYMBOLS=100 RUNS=1 for a fast check).
bench-postgres:
	bench/postgres.sh
