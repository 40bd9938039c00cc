// The key CSV format lives in worker/domain/key-csv.ts, shared with the operator page's upload.
export { parseCsvLine, truthy } from "../../worker/domain/key-csv";
