"""Freestanding C canisters (counter, ledger, kv) compiled to Wasm for the execution stage (build.py)."""
