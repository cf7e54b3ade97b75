// Runs the SQL on stdin in a new in-memory DuckDB and prints the rows of
// its last statement as a JSON array of objects (see duckdbtest.Row).
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const sql = readFileSync(0, 'utf8');
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(sql);
process.stdout.write(JSON.stringify(reader.getRowObjectsJson()));
connection.closeSync();
instance.closeSync();
