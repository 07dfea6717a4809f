//! `wasi-test-runner MODULE [ARGS…]`: runs a WASI command module with the arguments, the
//! environment and standard streams of this process and the host filesystem visible at `/`
//! (test binaries read fixtures by absolute path), and exits with the module's exit code.
//!
//! Imports other than WASI's (the waPC host functions a policy links) trap when called.
//!
//! Cargo uses it as the runner for `cargo test --target wasm32-wasip1`, so the code the
//! policies ship (json-scan's SIMD scanner in particular) is tested as wasmtime runs it.

use wasmtime::{format_err, Engine, Linker, Module, Result, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

fn main() {
    match run() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("Error: {e:?}");
            std::process::exit(1);
        }
    }
}

fn run() -> Result<i32> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let module_path = args
        .first()
        .ok_or_else(|| format_err!("usage: wasi-test-runner MODULE [ARGS…]"))?;
    // wasmtime's defaults, as policy-server's: WebAssembly SIMD is on.
    let engine = Engine::default();
    let module = Module::from_file(&engine, module_path)
        .map_err(|e| format_err!("cannot compile {module_path}: {e}"))?;
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |ctx| ctx)?;
    // A policy's test binary links the waPC imports its glue would call; its tests call the
    // pure functions, so those imports only need to exist.
    linker.define_unknown_imports_as_traps(&module)?;
    let wasi = WasiCtxBuilder::new()
        .inherit_stdio()
        .inherit_env()
        .args(&args)
        .preopened_dir("/", "/", FsPerms::ReadOnly)?
        .build_p1();
    let mut store = Store::new(&engine, wasi);
    let instance = linker.instantiate(&mut store, &module)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(e),
        },
    }
}
