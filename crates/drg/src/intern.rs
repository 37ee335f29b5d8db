//! Code interning: every code of the grouping tables gets a dense id.
//!
//! Lookups are the hot part of grouping, so codes of at most 15 bytes (nearly all ICD-10 医保版 and
//! ICD-9-CM-3 codes, e.g. `K35.800x001`) are packed into a `u128` with their length and found in an
//! open-addressing table by one 16-byte comparison, without following a pointer. Longer codes
//! (dagger/asterisk pairs such as `A18.114+N74.1*` still fit) go through an `FxHashMap`.

use rustc_hash::FxHashMap;

/// Longest code that is packed.
const SHORT: usize = 15;

/// Packs a code of 1..=15 bytes with its length into a `u128`, using overlapping fixed-size loads
/// instead of a variable-length copy.
#[inline]
fn pack(b: &[u8]) -> u128 {
    let n = b.len();
    let le8 = |s: &[u8]| s.first_chunk::<8>().map_or(0, |c| u64::from_le_bytes(*c));
    let le4 = |s: &[u8]| s.first_chunk::<4>().map_or(0, |c| u64::from(u32::from_le_bytes(*c)));
    let (lo, hi) = if n >= 8 {
        // Bytes 8..n are the top n-8 bytes of the last eight.
        let hi = if n == 8 { 0 } else { le8(&b[n - 8..]) >> ((16 - n) * 8) };
        (le8(b), hi)
    } else if n >= 4 {
        // Two overlapping 4-byte loads; the overlap holds the same bytes.
        (le4(b) | (le4(&b[n - 4..]) << ((n - 4) * 8)), 0)
    } else {
        (b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)), 0)
    };
    (u128::from(hi | ((n as u64) << 56)) << 64) | u128::from(lo)
}

#[inline]
fn hash(key: u128) -> u64 {
    let lo = key as u64;
    let hi = (key >> 64) as u64;
    (lo ^ hi.rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// 24 bytes (a `u128` field would align the slot to 32).
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Low and high halves of the packed code; `hi == 0` marks an empty slot (a packed code's
    /// length byte is in `hi`).
    lo: u64,
    hi: u64,
    id: u32,
}

/// Collects codes while a scheme is loaded.
#[derive(Debug, Default)]
pub(crate) struct InternerBuilder {
    ids: FxHashMap<Box<str>, u32>,
    codes: Vec<Box<str>>,
}

impl InternerBuilder {
    /// The id of `code`, and whether it is new.
    pub fn intern(&mut self, code: &str) -> (u32, bool) {
        if let Some(&id) = self.ids.get(code) {
            return (id, false);
        }
        let id = u32::try_from(self.codes.len()).unwrap_or(u32::MAX - 1);
        self.codes.push(code.into());
        self.ids.insert(code.into(), id);
        (id, true)
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// The lookup structure.
    pub fn finish(self) -> Interner {
        let short_count = self.codes.iter().filter(|c| c.len() <= SHORT && !c.is_empty()).count();
        let cap = (short_count * 2).next_power_of_two().max(16);
        let bits = cap.trailing_zeros();
        let mut slots = vec![Slot::default(); cap];
        let mask = cap - 1;
        let mut long = FxHashMap::default();
        for (id, code) in self.codes.iter().enumerate() {
            let id = id as u32;
            if code.len() <= SHORT && !code.is_empty() {
                let key = pack(code.as_bytes());
                let mut i = (hash(key) >> (64 - bits)) as usize & mask;
                while slots[i].hi != 0 {
                    i = (i + 1) & mask;
                }
                slots[i] = Slot {
                    lo: key as u64,
                    hi: (key >> 64) as u64,
                    id,
                };
            } else {
                long.insert(code.clone(), id);
            }
        }
        let unknown = u32::try_from(self.codes.len()).unwrap_or(u32::MAX - 1);
        Interner {
            slots,
            mask,
            bits,
            long,
            codes: self.codes,
            unknown,
        }
    }
}

/// Code → dense id. Unknown codes map to [`Interner::unknown`], an id whose rows are all empty.
#[derive(Debug)]
pub(crate) struct Interner {
    slots: Vec<Slot>,
    mask: usize,
    bits: u32,
    long: FxHashMap<Box<str>, u32>,
    codes: Vec<Box<str>>,
    unknown: u32,
}

impl Interner {
    /// The id of a code, or the unknown id.
    #[inline]
    pub fn id(&self, code: &str) -> u32 {
        let b = code.as_bytes();
        if b.len() <= SHORT {
            if b.is_empty() {
                return self.unknown;
            }
            let key = pack(b);
            let (lo, hi) = (key as u64, (key >> 64) as u64);
            let mut i = (hash(key) >> (64 - self.bits)) as usize & self.mask;
            // The table is at most half full, so an empty slot ends every probe.
            loop {
                let Some(slot) = self.slots.get(i) else { return self.unknown };
                if slot.lo == lo && slot.hi == hi {
                    return slot.id;
                }
                if slot.hi == 0 {
                    return self.unknown;
                }
                i = (i + 1) & self.mask;
            }
        }
        self.long.get(code).copied().unwrap_or(self.unknown)
    }

    /// The id that no code has.
    #[inline]
    pub fn unknown(&self) -> u32 {
        self.unknown
    }

    /// The code of an id (empty for the unknown id).
    pub fn code(&self, id: u32) -> &str {
        self.codes.get(id as usize).map_or("", |c| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_codes() {
        let mut b = InternerBuilder::default();
        let codes = [
            "K35.800x001",
            "A18.114+N74.1*",
            "exactly15bytes!",
            "sixteen__bytes!!",
            "x",
            "中文编码",
            "K35.800x00",
            "K35.800x0011",
        ];
        for c in codes {
            b.intern(c);
        }
        assert_eq!(b.intern("x"), (4, false));
        let t = b.finish();
        for (i, c) in codes.iter().enumerate() {
            assert_eq!(t.id(c), i as u32, "{c}");
            assert_eq!(t.code(i as u32), *c);
        }
        assert_eq!(t.unknown(), codes.len() as u32);
        for miss in ["", "K35.800X001", "K35.800x00 ", "y", "sixteen__bytes!?", "\0"] {
            assert_eq!(t.id(miss), t.unknown(), "{miss:?}");
        }
        assert_eq!(t.code(t.unknown()), "");
        let empty = InternerBuilder::default().finish();
        assert_eq!(empty.id("a"), 0);
    }

    #[test]
    fn packing_matches_a_plain_copy() {
        let text = "abcdefghijklmno";
        for n in 1..=15 {
            let code = &text.as_bytes()[..n];
            let mut b = [0u8; 16];
            b[..n].copy_from_slice(code);
            b[15] = n as u8;
            assert_eq!(pack(code), u128::from_le_bytes(b), "{n}");
        }
    }

    #[test]
    fn many_codes() {
        let mut b = InternerBuilder::default();
        for i in 0..50_000 {
            b.intern(&format!("C{i:05}.x{}", i % 7));
        }
        let t = b.finish();
        for i in (0..50_000).step_by(7) {
            assert_eq!(t.id(&format!("C{i:05}.x{}", i % 7)), i);
        }
        assert_eq!(t.id("C00000.x1"), t.unknown());
    }
}
