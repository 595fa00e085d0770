//! Argon2 (RFC 9106) for keyward: Argon2id and Argon2d, versions 0x13 and 0x10.
//!
//! - The block fill is hand-written AVX2 on x86-64 processors that have it (detected at run
//!   time, so one binary runs on any x86-64), plain Rust elsewhere; [`Backend`] forces
//!   either, so tests can check both.
//! - With `p > 1` the lanes of each slice are computed on threads (at most 16, and no more
//!   than the machine has cores), joined at the end of every slice; with `p = 1` everything
//!   runs on the calling thread.
//! - The memory matrix is allocated once, and failing to get it is an [`Error`], not an
//!   abort. It is wiped before it is freed, as are H0, the blocks made from it, the address
//!   blocks and the final block.

use std::fmt;

use zeroize::Zeroizing;

#[cfg(target_arch = "x86_64")]
mod avx2;
mod blake;
mod fill;
mod memory;
mod portable;

use fill::{Compress, Fill};
use memory::{Block, Memory, SecretBlock, WORDS};

/// Which Argon2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// Data-dependent addressing throughout (KeePass's KDBX 4 offers it).
    Argon2d,
    /// Data-independent addressing in the first half of the first pass, data-dependent
    /// after: RFC 9106's recommendation, and keyward's vault KDF.
    Argon2id,
}

impl Algorithm {
    /// The type `y` hashed into H0 and the address blocks.
    fn type_code(self) -> u64 {
        match self {
            Algorithm::Argon2d => 0,
            Algorithm::Argon2id => 2,
        }
    }
}

/// Argon2's version number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// 1.0: later passes overwrite the blocks (older KeePass files).
    V0x10,
    /// 1.3 (RFC 9106): later passes XOR into the blocks.
    V0x13,
}

impl Version {
    fn number(self) -> u32 {
        match self {
            Version::V0x10 => 0x10,
            Version::V0x13 => 0x13,
        }
    }
}

/// How the blocks are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    /// AVX2 when the processor has it, the portable code otherwise.
    #[default]
    Auto,
    /// The portable code, whatever the processor.
    Portable,
    /// AVX2; [`Error::Avx2Unavailable`] where the processor (or target) lacks it.
    Avx2,
}

impl Backend {
    /// Whether this processor can run [`Backend::Avx2`].
    pub fn avx2_available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    fn resolve(self) -> Result<Compress, Error> {
        match self {
            Backend::Portable => Ok(Compress::Portable),
            #[cfg(target_arch = "x86_64")]
            Backend::Auto | Backend::Avx2 if Backend::avx2_available() => Ok(Compress::Avx2),
            Backend::Auto => Ok(Compress::Portable),
            Backend::Avx2 => Err(Error::Avx2Unavailable),
        }
    }
}

/// The cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Memory `m` in KiB; at least 8 per lane. Rounded down to a multiple of 4 · lanes.
    pub memory_kib: u32,
    /// Passes `t` over the memory; at least 1.
    pub passes: u32,
    /// Lanes `p`: 1 to 2²⁴ − 1.
    pub lanes: u32,
}

/// What one derivation hashes. The secret `K` and associated data `X` are usually empty.
#[derive(Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// The password `P`.
    pub password: &'a [u8],
    /// The salt `S`: at least 8 bytes.
    pub salt: &'a [u8],
    /// The secret `K`.
    pub secret: &'a [u8],
    /// The associated data `X`.
    pub associated_data: &'a [u8],
}

impl fmt::Debug for Inputs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Inputs(redacted)")
    }
}

/// How a derivation ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// The most threads that computed segments of one slice.
    pub threads: usize,
    /// [`Backend::Avx2`] or [`Backend::Portable`]: the block fill that ran.
    pub backend: Backend,
}

/// Why a derivation was refused or failed. Never contains the password or the output.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Fewer than 8 KiB of memory per lane.
    MemoryTooLittle,
    /// The system could not give the memory matrix (`m` KiB).
    OutOfMemory(u32),
    /// No pass.
    Passes,
    /// No lane, or more than 2²⁴ − 1.
    Lanes(u32),
    /// A salt shorter than 8 bytes.
    SaltTooShort,
    /// An output shorter than 4 bytes or longer than 2³² − 1.
    OutputLength,
    /// A password, salt, secret or associated data longer than 2³² − 1 bytes.
    InputTooLong,
    /// [`Backend::Avx2`] was asked for and the processor has no AVX2.
    Avx2Unavailable,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MemoryTooLittle => f.write_str("Argon2 needs at least 8 KiB of memory per lane"),
            Error::OutOfMemory(kib) => {
                write!(f, "could not allocate the {kib} KiB of Argon2's memory")
            }
            Error::Passes => f.write_str("Argon2 needs at least one pass"),
            Error::Lanes(lanes) => write!(f, "Argon2 lanes {lanes} outside 1..=16777215"),
            Error::SaltTooShort => f.write_str("Argon2 needs a salt of at least 8 bytes"),
            Error::OutputLength => f.write_str("Argon2 output length outside 4..=4294967295"),
            Error::InputTooLong => f.write_str("an Argon2 input is longer than 4 GiB"),
            Error::Avx2Unavailable => f.write_str("this processor has no AVX2"),
        }
    }
}

impl std::error::Error for Error {}

/// The most lanes RFC 9106 allows.
const MAX_LANES: u32 = 0x00FF_FFFF;

/// An Argon2 function: algorithm, version, costs, and the block fill to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2 {
    algorithm: Algorithm,
    version: Version,
    params: Params,
    backend: Backend,
}

impl Argon2 {
    /// The function with the [`Backend::Auto`] block fill.
    pub fn new(algorithm: Algorithm, version: Version, params: Params) -> Argon2 {
        Argon2 {
            algorithm,
            version,
            params,
            backend: Backend::Auto,
        }
    }

    /// The same function computed with `backend` (the output is the same).
    pub fn with_backend(self, backend: Backend) -> Argon2 {
        Argon2 { backend, ..self }
    }

    /// Derives `out.len()` bytes from `password` and `salt` into `out`.
    pub fn hash_into(&self, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), Error> {
        let inputs = Inputs {
            password,
            salt,
            ..Inputs::default()
        };
        self.hash_inputs_into(&inputs, out).map(|_| ())
    }

    /// Derives `out.len()` bytes from `inputs` into `out`, saying how it ran.
    pub fn hash_inputs_into(&self, inputs: &Inputs<'_>, out: &mut [u8]) -> Result<Report, Error> {
        let Params {
            memory_kib,
            passes,
            lanes,
        } = self.params;
        if lanes == 0 || lanes > MAX_LANES {
            return Err(Error::Lanes(lanes));
        }
        if passes == 0 {
            return Err(Error::Passes);
        }
        if u64::from(memory_kib) < 8 * u64::from(lanes) {
            return Err(Error::MemoryTooLittle);
        }
        if inputs.salt.len() < 8 {
            return Err(Error::SaltTooShort);
        }
        let tag_length = match u32::try_from(out.len()) {
            Ok(length) if length >= 4 => length,
            _ => return Err(Error::OutputLength),
        };
        let compress = self.backend.resolve()?;
        let lane_length = (memory_kib / (4 * lanes) * 4) as usize;
        let lanes = lanes as usize;
        let h0 = self.h0(inputs, tag_length)?;
        let memory = Memory::new(lane_length * lanes).ok_or(Error::OutOfMemory(memory_kib))?;
        let mut bytes = Zeroizing::new([0u8; 8 * WORDS]);
        for lane in 0..lanes {
            for column in 0..2u32 {
                let parts: [&[u8]; 3] =
                    [&h0[..], &column.to_le_bytes(), &(lane as u32).to_le_bytes()];
                blake::h_prime(&parts, &mut bytes[..]);
                let block = SecretBlock(Block::from_le_bytes(&bytes));
                let index = lane * lane_length + column as usize;
                // SAFETY: no other reference to the matrix exists yet.
                unsafe { (*memory.block(index)).0 = block.0.0 };
            }
        }
        drop(h0);

        let fill = Fill {
            memory: &memory,
            algorithm: self.algorithm,
            version: self.version,
            compress,
            lanes,
            lane_length,
            passes,
        };
        let threads = fill.run();

        let mut last = SecretBlock(Block::ZERO);
        for lane in 0..lanes {
            // SAFETY: the fill is over; only this thread uses the matrix.
            last.0
                .xor_assign(unsafe { &*memory.block(lane * lane_length + lane_length - 1) });
        }
        last.0.to_le_bytes(&mut bytes);
        blake::h_prime(&[&bytes[..]], out);
        let backend = match compress {
            Compress::Portable => Backend::Portable,
            #[cfg(target_arch = "x86_64")]
            Compress::Avx2 => Backend::Avx2,
        };
        Ok(Report { threads, backend })
    }

    /// H0 (RFC 9106 §3.2 step 1): every parameter and input, length-prefixed, in one
    /// 64-byte Blake2b.
    fn h0(&self, inputs: &Inputs<'_>, tag_length: u32) -> Result<Zeroizing<[u8; 64]>, Error> {
        let length = |input: &[u8]| {
            u32::try_from(input.len())
                .map(u32::to_le_bytes)
                .map_err(|_| Error::InputTooLong)
        };
        let le = u32::to_le_bytes;
        let words = [
            le(self.params.lanes),
            le(tag_length),
            le(self.params.memory_kib),
            le(self.params.passes),
            le(self.version.number()),
            le(self.algorithm.type_code() as u32),
        ];
        let lengths = [
            length(inputs.password)?,
            length(inputs.salt)?,
            length(inputs.secret)?,
            length(inputs.associated_data)?,
        ];
        let mut h0 = Zeroizing::new([0u8; 64]);
        let mut parts: Vec<&[u8]> = words.iter().map(|w| &w[..]).collect();
        for (len, input) in lengths.iter().zip([
            inputs.password,
            inputs.salt,
            inputs.secret,
            inputs.associated_data,
        ]) {
            parts.push(len);
            parts.push(input);
        }
        blake::blake2b_512(&parts, &mut h0);
        Ok(h0)
    }
}
