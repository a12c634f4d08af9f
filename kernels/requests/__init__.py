"""Whole requests, stage by stage: what an update and a query cost a node (ingress, gossip, block, execution
of real Wasm in wasmtime, persistence, certification, responses). Each stage is timed on the library a node
uses today and on the suite's best measured path; docs/REFERENCES.md section 5 holds the published caps."""
