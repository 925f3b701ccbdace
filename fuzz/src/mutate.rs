//! Byte-level mutation of seed inputs, reproducible from one `u64` seed.

/// Integers that make good length fields and counters (little-endian).
const INTERESTING: &[u64] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// Derives new inputs from seeds.
pub struct Mutator {
    rng: fastrand::Rng,
    dictionary: Vec<Vec<u8>>,
    max_len: usize,
}

impl Mutator {
    /// A mutator whose sequence of outputs depends only on `seed`; tokens of
    /// `dictionary` are inserted or overwritten into inputs; outputs are cut
    /// to at most `max_len` bytes.
    pub fn new(seed: u64, dictionary: &[&[u8]], max_len: usize) -> Self {
        Mutator {
            rng: fastrand::Rng::with_seed(seed),
            dictionary: dictionary.iter().map(|d| d.to_vec()).collect(),
            max_len: max_len.max(1),
        }
    }

    /// A random number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        self.rng.usize(..n.max(1))
    }

    /// A mutant of one of `seeds`: one to eight stacked mutations.
    pub fn mutate(&mut self, seeds: &[Vec<u8>]) -> Vec<u8> {
        let mut data = match seeds.len() {
            0 => Vec::new(),
            n => seeds[self.below(n)].clone(),
        };
        let rounds = 1 + self.below(8);
        for _ in 0..rounds {
            self.mutate_once(&mut data, seeds);
        }
        data.truncate(self.max_len);
        data
    }

    fn mutate_once(&mut self, data: &mut Vec<u8>, seeds: &[Vec<u8>]) {
        let len = data.len();
        match self.below(12) {
            // flip one bit
            0 if len > 0 => {
                let i = self.below(len);
                data[i] ^= 1 << self.below(8);
            }
            // set a byte to a random or boundary value
            1 if len > 0 => {
                let i = self.below(len);
                data[i] = match self.below(4) {
                    0 => 0,
                    1 => 0xff,
                    2 => 0x80,
                    _ => self.rng.u8(..),
                };
            }
            // truncate
            2 if len > 0 => data.truncate(self.below(len)),
            // delete a chunk
            3 if len > 0 => {
                let a = self.below(len);
                let b = (a + 1 + self.below(64.min(len - a))).min(len);
                data.drain(a..b);
            }
            // duplicate a chunk in place
            4 if len > 0 => {
                let a = self.below(len);
                let b = (a + 1 + self.below(256.min(len - a))).min(len);
                let chunk = data[a..b].to_vec();
                let at = self.below(len + 1);
                data.splice(at..at, chunk);
            }
            // insert random bytes
            5 => {
                let n = 1 + self.below(32);
                let at = self.below(len + 1);
                let bytes: Vec<u8> = (0..n).map(|_| self.rng.u8(..)).collect();
                data.splice(at..at, bytes);
            }
            // overwrite with an interesting integer (a length field)
            6 if len > 0 => {
                let v = INTERESTING[self.below(INTERESTING.len())];
                let width = [1, 2, 4, 8][self.below(4)];
                let at = self.below(len);
                for (k, b) in v.to_le_bytes().iter().take(width).enumerate() {
                    if let Some(slot) = data.get_mut(at + k) {
                        *slot = *b;
                    }
                }
            }
            // splice: our head with another seed's tail
            7 if !seeds.is_empty() => {
                let other = &seeds[self.below(seeds.len())];
                let cut = self.below(len + 1);
                let from = self.below(other.len() + 1);
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            // insert or overwrite a dictionary token
            8 | 9 if !self.dictionary.is_empty() => {
                let k = self.below(self.dictionary.len());
                let tok = self.dictionary[k].clone();
                let at = self.below(len + 1);
                if self.rng.bool() {
                    data.splice(at..at, tok);
                } else {
                    let end = (at + tok.len()).min(len);
                    data.splice(at..end, tok);
                }
            }
            // repeat a chunk many times (long runs, deep nesting)
            10 if len > 0 => {
                let a = self.below(len);
                let b = (a + 1 + self.below(8.min(len - a))).min(len);
                let chunk = data[a..b].to_vec();
                let times = 1 + self.below(512);
                let at = self.below(len + 1);
                let rep: Vec<u8> = chunk
                    .iter()
                    .copied()
                    .cycle()
                    .take(chunk.len() * times)
                    .collect();
                data.splice(at..at, rep);
            }
            // a random ASCII digit run (numbers of random length)
            11 => {
                let n = 1 + self.below(400);
                let at = self.below(len + 1);
                let digits: Vec<u8> = (0..n).map(|_| b'0' + self.rng.u8(..10)).collect();
                data.splice(at..at, digits);
            }
            _ => {
                let at = self.below(len + 1);
                data.insert(at, self.rng.u8(..));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_mutants() {
        let seeds = vec![b"hello world".to_vec(), b"{\"a\":1}".to_vec()];
        let mut a = Mutator::new(7, &[b"NaN"], 1 << 16);
        let mut b = Mutator::new(7, &[b"NaN"], 1 << 16);
        let xs: Vec<_> = (0..200).map(|_| a.mutate(&seeds)).collect();
        let ys: Vec<_> = (0..200).map(|_| b.mutate(&seeds)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().any(|x| !seeds.contains(x)));
        assert!(xs.iter().all(|x| x.len() <= 1 << 16));
    }
}
