;; The production reference for memory.copy and memory.fill: the instructions themselves, run by wasmtime.
;; The host grows the exported memory to the size it needs and reads/writes it directly.
(module
  (memory (export "memory") 1)
  ;; memory.copy: move n bytes from src to dst; overlapping ranges behave like memmove (Wasm core spec 4.4.7)
  (func (export "copy") (param $dst i32) (param $src i32) (param $n i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n)))
  ;; memory.fill: set n bytes from dst to the low byte of value
  (func (export "fill") (param $dst i32) (param $value i32) (param $n i32)
    (memory.fill (local.get $dst) (local.get $value) (local.get $n)))
  ;; `rounds` copies in one call, so a timing is not dominated by the host-to-Wasm call
  (func (export "copy_repeat") (param $dst i32) (param $src i32) (param $n i32) (param $rounds i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $rounds)))
        (memory.copy (local.get $dst) (local.get $src) (local.get $n))
        (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
        (br $again))))
  ;; `rounds` fills in one call
  (func (export "fill_repeat") (param $dst i32) (param $value i32) (param $n i32) (param $rounds i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $rounds)))
        (memory.fill (local.get $dst) (local.get $value) (local.get $n))
        (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
        (br $again)))))
