//! Sixteen bytes classified at once: WebAssembly SIMD where the module is built with
//! `simd128` (as the policies are, and as policy-server's wasmtime runs them), a portable loop
//! elsewhere. Both give the same answer; `make unit-wasm` runs the tests against the SIMD one.

/// Which bytes of a 16-byte block are quotes, backslashes, opening brackets and closing
/// brackets (bit `i` for byte `i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Classes {
    pub(crate) quotes: u16,
    pub(crate) backslashes: u16,
    pub(crate) opens: u16,
    pub(crate) closes: u16,
}

/// Sixteen bytes compared at once with WebAssembly SIMD, which policy-server's wasmtime runs.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
pub(crate) fn classify(block: &[u8; 16]) -> Classes {
    use core::arch::wasm32::*;
    // SAFETY: `block` is sixteen readable bytes, and `v128` loads need no alignment.
    let bytes = unsafe { (block.as_ptr() as *const v128).read_unaligned() };
    // `{` and `[` (and `}` and `]`) differ only in the 0x20 bit.
    let folded = v128_or(bytes, u8x16_splat(0x20));
    Classes {
        quotes: u8x16_bitmask(u8x16_eq(bytes, u8x16_splat(b'"'))),
        backslashes: u8x16_bitmask(u8x16_eq(bytes, u8x16_splat(b'\\'))),
        opens: u8x16_bitmask(u8x16_eq(folded, u8x16_splat(b'{'))),
        closes: u8x16_bitmask(u8x16_eq(folded, u8x16_splat(b'}'))),
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
pub(crate) fn classify(block: &[u8; 16]) -> Classes {
    let mut classes = Classes {
        quotes: 0,
        backslashes: 0,
        opens: 0,
        closes: 0,
    };
    for (i, byte) in block.iter().enumerate() {
        classes.quotes |= u16::from(*byte == b'"') << i;
        classes.backslashes |= u16::from(*byte == b'\\') << i;
        classes.opens |= u16::from(matches!(byte, b'{' | b'[')) << i;
        classes.closes |= u16::from(matches!(byte, b'}' | b']')) << i;
    }
    classes
}

/// The bytes of a block inside strings, from its quotes: a prefix XOR (going forwards) or a
/// suffix XOR (going backwards) marks the bytes after an odd number of quotes. `in_string` is
/// the state where the scan enters the block, and becomes the state where it leaves it.
pub(crate) fn inside_strings(quotes: u16, forwards: bool, in_string: &mut bool) -> u16 {
    let mut inside = quotes;
    if forwards {
        inside ^= inside << 1;
        inside ^= inside << 2;
        inside ^= inside << 4;
        inside ^= inside << 8;
    } else {
        inside ^= inside >> 1;
        inside ^= inside >> 2;
        inside ^= inside >> 4;
        inside ^= inside >> 8;
    }
    if *in_string {
        inside = !inside;
    }
    *in_string = inside & if forwards { 0x8000 } else { 0x0001 } != 0;
    inside
}
