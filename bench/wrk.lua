-- wrk script for bench/run.sh: asks `loader serve` for the same answers
-- `loader fetch` asks for, cycling through the symbols in $BENCH_SYMBOLS
-- (one a line) with outputsize=full and datatype=$BENCH_DATATYPE.
local symbols = {}
for line in io.lines(os.getenv("BENCH_SYMBOLS")) do
  if line ~= "" then symbols[#symbols + 1] = line end
end
local datatype = os.getenv("BENCH_DATATYPE") or "json"
local i = 0

request = function()
  i = i % #symbols + 1
  return wrk.format("GET", "/query?function=TIME_SERIES_DAILY&symbol=" .. symbols[i] ..
    "&outputsize=full&datatype=" .. datatype .. "&apikey=bench")
end
