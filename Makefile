.PHONY: bench
# bench runs the comparison in bench/run.sh (QUICK=1 for a fast check).
bench:
	bench/run.sh
