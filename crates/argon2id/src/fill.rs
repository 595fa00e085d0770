//! Filling the memory matrix (RFC 9106 §3.2 steps 5 and 6, §3.4): four slices per pass, the
//! segments of one slice computed on up to [`MAX_THREADS`] threads at once (no more than the
//! machine has cores), joined before the next slice starts.

use std::thread;

use zeroize::Zeroize;

use crate::memory::{Block, Memory, SecretBlock, WORDS};
use crate::{Algorithm, Version, portable};

/// The most threads one derivation runs at once; more lanes are shared out among them.
pub(crate) const MAX_THREADS: usize = 16;

/// Slices per pass.
const SLICES: usize = 4;

/// The block fill to use, chosen once per derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compress {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

/// One derivation's fill: the shape of the matrix and what to fill it with.
pub(crate) struct Fill<'a> {
    pub(crate) memory: &'a Memory,
    pub(crate) algorithm: Algorithm,
    pub(crate) version: Version,
    pub(crate) compress: Compress,
    pub(crate) lanes: usize,
    pub(crate) lane_length: usize,
    pub(crate) passes: u32,
}

impl Fill<'_> {
    fn segment_length(&self) -> usize {
        self.lane_length / SLICES
    }

    /// `dst = G(prev, refb)` (or `dst ^= …`) with the chosen implementation.
    fn fill_block(&self, prev: &Block, refb: &Block, dst: &mut Block, xor_old: bool) {
        match self.compress {
            Compress::Portable => portable::fill_block(prev, refb, dst, xor_old),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Compress::Avx2` is only chosen when the processor has AVX2
            // (`Backend::resolve`).
            Compress::Avx2 => unsafe { crate::avx2::fill_block(prev, refb, dst, xor_old) },
        }
    }

    /// Fills every pass and slice. Returns the most threads that computed segments of one
    /// slice (1 when there is one lane, or when no thread could be started).
    pub(crate) fn run(&self) -> usize {
        // No more threads than cores: four lanes on two cores as four threads would leave a
        // core idle whenever the scheduler lets two finish first; two threads of two lanes
        // each keep both busy to the end of every slice.
        let cores = thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let workers = self.lanes.min(MAX_THREADS).min(cores);
        let mut most = 1;
        for pass in 0..self.passes {
            for slice in 0..SLICES {
                if workers == 1 {
                    self.worker(pass, slice, 0, 1);
                } else {
                    most = most.max(self.slice_on_threads(pass, slice, workers));
                }
            }
        }
        most
    }

    /// One slice with `workers` threads: the calling thread computes worker 0's lanes (and
    /// those of any thread that could not be started), one new thread each of the others'.
    fn slice_on_threads(&self, pass: u32, slice: usize, workers: usize) -> usize {
        thread::scope(|scope| {
            let mut handles = Vec::with_capacity(workers - 1);
            let mut here = vec![0];
            for worker in 1..workers {
                let started = thread::Builder::new()
                    .name(format!("argon2-{worker}"))
                    .spawn_scoped(scope, move || {
                        self.worker(pass, slice, worker, workers);
                        thread::current().id()
                    });
                match started {
                    Ok(handle) => handles.push(handle),
                    Err(_) => here.push(worker),
                }
            }
            for worker in here {
                self.worker(pass, slice, worker, workers);
            }
            let mut threads = vec![thread::current().id()];
            for handle in handles {
                match handle.join() {
                    Ok(id) if !threads.contains(&id) => threads.push(id),
                    Ok(_) => {}
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            threads.len()
        })
    }

    /// Worker `worker` of `workers`: the segments of lanes `worker`, `worker + workers`, …
    fn worker(&self, pass: u32, slice: usize, worker: usize, workers: usize) {
        for lane in (worker..self.lanes).step_by(workers) {
            self.segment(pass, slice, lane);
        }
        scrub_stack();
    }

    /// Whether the segment takes its reference blocks from the address blocks (Argon2i's
    /// data-independent addressing) rather than from the previous block.
    fn data_independent(&self, pass: u32, slice: usize) -> bool {
        match self.algorithm {
            Algorithm::Argon2d => false,
            Algorithm::Argon2id => pass == 0 && slice < SLICES / 2,
        }
    }

    /// The next 128 pseudo-random words of a data-independent segment:
    /// `G(0, G(0, input))` after incrementing the counter in `input`.
    fn next_addresses(&self, input: &mut SecretBlock, address: &mut SecretBlock) {
        input.0.0[6] += 1;
        let mut half = SecretBlock(Block::ZERO);
        self.fill_block(&Block::ZERO, &input.0, &mut half.0, false);
        self.fill_block(&Block::ZERO, &half.0, &mut address.0, false);
    }

    /// Fills the segment `slice` of `lane` in `pass`.
    fn segment(&self, pass: u32, slice: usize, lane: usize) {
        let segment_length = self.segment_length();
        let independent = self.data_independent(pass, slice);
        let mut input = SecretBlock(Block::ZERO);
        let mut address = SecretBlock(Block::ZERO);
        if independent {
            let words = &mut input.0.0;
            words[0] = u64::from(pass);
            words[1] = lane as u64;
            words[2] = slice as u64;
            words[3] = self.memory.len() as u64;
            words[4] = u64::from(self.passes);
            words[5] = self.algorithm.type_code();
        }
        // The first two blocks of each lane come from H0.
        let first = if pass == 0 && slice == 0 { 2 } else { 0 };
        if independent && first != 0 {
            self.next_addresses(&mut input, &mut address);
        }
        let lane_start = lane * self.lane_length;
        let xor_old = pass > 0 && self.version == Version::V0x13;
        for index in first..segment_length {
            let in_lane = slice * segment_length + index;
            let current = lane_start + in_lane;
            let previous = if in_lane == 0 {
                lane_start + self.lane_length - 1
            } else {
                current - 1
            };
            let pseudo_random = if independent {
                if index % WORDS == 0 {
                    self.next_addresses(&mut input, &mut address);
                }
                address.0.0[index % WORDS]
            } else {
                // SAFETY: the previous block is this thread's to read (see `Memory`).
                unsafe { (*self.memory.block(previous)).0[0] }
            };
            let ref_lane = if pass == 0 && slice == 0 {
                lane
            } else {
                ((pseudo_random >> 32) % self.lanes as u64) as usize
            };
            let ref_index =
                self.reference_index(pass, slice, index, ref_lane == lane, pseudo_random as u32);
            let reference = ref_lane * self.lane_length + ref_index;
            assert!(
                reference != current && previous != current,
                "Argon2 referenced the block it is computing"
            );
            let (prev, refb, dst) = (
                self.memory.block(previous),
                self.memory.block(reference),
                self.memory.block(current),
            );
            // SAFETY: `current` is in this thread's segment and differs from `previous` and
            // `reference` (checked above), which no other thread writes in this slice.
            unsafe { self.fill_block(&*prev, &*refb, &mut *dst, xor_old) };
        }
    }

    /// The index in its lane of the block referenced from block `index` of the segment
    /// (RFC 9106 §3.4.1.2): `J1` mapped non-uniformly onto the blocks it may reference.
    fn reference_index(
        &self,
        pass: u32,
        slice: usize,
        index: usize,
        same_lane: bool,
        j1: u32,
    ) -> usize {
        let segment_length = self.segment_length();
        // The blocks it may reference: every block already computed in this pass (and what
        // is left of the previous pass), without the previous block, and only the finished
        // segments of another lane; when `index` starts the segment, not the last of those.
        let finished = if pass == 0 {
            slice * segment_length
        } else {
            self.lane_length - segment_length
        };
        let area = if same_lane {
            finished + index - 1
        } else if index == 0 {
            finished - 1
        } else {
            finished
        };
        let x = (u64::from(j1) * u64::from(j1)) >> 32;
        let y = (area as u64 * x) >> 32;
        let relative = area as u64 - 1 - y;
        let start = if pass == 0 || slice == SLICES - 1 {
            0
        } else {
            (slice + 1) * segment_length
        };
        ((start as u64 + relative) % self.lane_length as u64) as usize
    }
}

/// Overwrites the stack below the caller's frame, where the block fill kept its
/// temporaries (best effort: the fill's frames are well within this size).
#[inline(never)]
fn scrub_stack() {
    let mut scratch = [0u8; 8 * 1024];
    scratch.zeroize();
    std::hint::black_box(&scratch);
}
