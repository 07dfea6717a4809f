//! Valgrind client requests for callgrind (valgrind.h and callgrind.h's, x86-64 Linux): they
//! let the program itself say which stretches callgrind counts, so that wasmtime's compilation
//! and the process start-up are left out without depending on symbol names (the release
//! runner is stripped). Run natively, every request does nothing and returns 0.

use std::ffi::CString;

/// `VG_USERREQ_TOOL_BASE('C', 'T')`: callgrind's requests follow it in this order.
const CALLGRIND_BASE: usize = (b'C' as usize) << 24 | (b'T' as usize) << 16;
const TOGGLE_COLLECT: usize = CALLGRIND_BASE + 2;
const DUMP_STATS_AT: usize = CALLGRIND_BASE + 3;
const START_INSTRUMENTATION: usize = CALLGRIND_BASE + 4;
/// Valgrind's core request: non-zero under valgrind.
const RUNNING_ON_VALGRIND: usize = 0x1001;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn request(code: usize, argument: usize) -> usize {
    let arguments: [usize; 6] = [code, argument, 0, 0, 0, 0];
    let result: usize;
    // SAFETY: valgrind.h's "special instruction" sequence. Natively it changes nothing: the
    // four rotations turn rdi by 3 + 13 + 61 + 51 = 128 bits, a whole number of turns, and
    // `xchg rbx, rbx` swaps a register with itself; rdx keeps the default 0 it is given. Under
    // valgrind the sequence is recognised and the request read from `arguments` (rax points
    // to it, hence no `nomem`), the answer left in rdx. Flags are clobbered (no
    // `preserves_flags`).
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") arguments.as_ptr(),
            inout("rdx") 0usize => result,
            options(nostack),
        );
    }
    result
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn request(_code: usize, _argument: usize) -> usize {
    0
}

/// Whether the process runs under valgrind.
pub(super) fn running_on_valgrind() -> bool {
    request(RUNNING_ON_VALGRIND, 0) != 0
}

/// Starts instrumenting (with `--instr-atstart=no`, nothing before is even instrumented, which
/// makes compiling the modules under valgrind several times faster).
pub(super) fn start_instrumentation() {
    request(START_INSTRUMENTATION, 0);
}

/// Turns counting on or off (with `--collect-atstart=no` it starts off). Per thread: other
/// threads are never counted.
pub(super) fn toggle_collect() {
    request(TOGGLE_COLLECT, 0);
}

/// Writes what was counted since the last dump to a new profile file, described by `label`,
/// and starts again from zero.
pub(super) fn dump_stats_at(label: &str) {
    let label = CString::new(label.replace('\0', " ")).expect("no NUL left");
    request(DUMP_STATS_AT, label.as_ptr() as usize);
}
