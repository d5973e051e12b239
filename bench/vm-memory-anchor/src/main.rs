//! The same loops as MemGate's GuestMemoryHotPathBenchmarks (bench/MemGate.Benchmarks), over
//! rust-vmm's vm-memory (`GuestMemoryMmap`, `Bytes::read_obj` / `write_obj`), a raw pointer, and a raw
//! pointer with one page-bitmap test (the least any per-access check costs). Same address streams
//! (SplitMix64, seed 0x5EED), same layout (8 regions at i << 28), same loop shapes; the figure for each
//! is the minimum over `runs` rounds of `ops` accesses, in ns per access; a round runs each of the
//! three once, so all see the same background load.
//!
//! usage: vm-memory-anchor [OPS] [ROUNDS] [TSV]  (TSV: lines "set<TAB>loop<TAB>impl<TAB>ns")

use std::hint::black_box;
use std::io::Write;
use std::time::Instant;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

const REGIONS: u64 = 8;
const PAGE_SHIFT: u64 = 12;

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// One way to load and store a u32 at an address of its own stream.
trait Access {
    fn read(&self, at: u64) -> u32;
    fn write(&self, at: u64, value: u32);
}

struct Raw(*mut u8);

impl Access for Raw {
    #[inline(always)]
    fn read(&self, at: u64) -> u32 {
        unsafe { (self.0.add(at as usize) as *const u32).read_unaligned() }
    }
    #[inline(always)]
    fn write(&self, at: u64, value: u32) {
        unsafe { (self.0.add(at as usize) as *mut u32).write_unaligned(value) }
    }
}

/// A raw pointer plus one test of a page bit (all set): the cost of the smallest check.
struct OneTest(*mut u8, *const u64);

#[cold]
#[inline(never)]
fn fault(at: u64) -> ! {
    panic!("page bit clear at {at:#x}")
}

impl Access for OneTest {
    #[inline(always)]
    fn read(&self, at: u64) -> u32 {
        let page = at >> PAGE_SHIFT;
        if unsafe { *self.1.add((page >> 6) as usize) } >> (page & 63) & 1 == 0 {
            fault(at)
        }
        unsafe { (self.0.add(at as usize) as *const u32).read_unaligned() }
    }
    #[inline(always)]
    fn write(&self, at: u64, value: u32) {
        let page = at >> PAGE_SHIFT;
        if unsafe { *self.1.add((page >> 6) as usize) } >> (page & 63) & 1 == 0 {
            fault(at)
        }
        unsafe { (self.0.add(at as usize) as *mut u32).write_unaligned(value) }
    }
}

struct VmMemory(GuestMemoryMmap<()>);

impl Access for VmMemory {
    #[inline(always)]
    fn read(&self, at: u64) -> u32 {
        self.0.read_obj::<u32>(GuestAddress(at)).unwrap()
    }
    #[inline(always)]
    fn write(&self, at: u64, value: u32) {
        self.0.write_obj(value, GuestAddress(at)).unwrap()
    }
}

#[inline(never)]
fn read_loop<A: Access>(a: &A, ops: &[u64]) -> u32 {
    let mut sum = 0u32;
    for &op in ops {
        sum = sum.wrapping_add(a.read(op));
    }
    sum
}

#[inline(never)]
fn write_loop<A: Access>(a: &A, ops: &[u64]) -> u32 {
    for (i, &op) in ops.iter().enumerate() {
        a.write(op, i as u32);
    }
    0
}

// 50/50 without a data-dependent branch: even positions are reads, odd positions writes.
#[inline(never)]
fn mixed_loop<A: Access>(a: &A, ops: &[u64]) -> u32 {
    let mut sum = 0u32;
    for (i, pair) in ops.chunks_exact(2).enumerate() {
        sum = sum.wrapping_add(a.read(pair[0]));
        a.write(pair[1], i as u32);
    }
    sum
}

fn pass<A: Access>(a: &A, ops: &[u64], mix: &str) -> f64 {
    let start = Instant::now();
    let sum = match mix {
        "Read" => read_loop(a, black_box(ops)),
        "Write" => write_loop(a, black_box(ops)),
        _ => mixed_loop(a, black_box(ops)),
    };
    black_box(sum);
    start.elapsed().as_nanos() as f64 / ops.len() as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ops_count: usize = args.get(1).map_or(4_000_000, |s| s.parse().expect("OPS"));
    let runs: usize = args.get(2).map_or(5, |s| s.parse().expect("RUNS"));
    let mut tsv = args.get(3).map(|p| std::fs::File::create(p).expect("TSV file"));

    println!("vm-memory anchor: {ops_count} accesses per pass, min of {runs} interleaved rounds, ns per access");
    println!("{:<6} {:<6} {:>8} {:>16} {:>16}", "set", "loop", "raw", "raw+1 test", "vm-memory");
    for (set, region_size) in [("Dram", 64u64 << 20), ("Cache", 16u64 << 10)] {
        let mut random = SplitMix64(0x5EED);
        let mut guest = Vec::with_capacity(ops_count);
        let mut flat = Vec::with_capacity(ops_count);
        for _ in 0..ops_count {
            let region = random.below(REGIONS);
            let offset = random.below(region_size / 4) * 4;
            guest.push((region << 28) + offset);
            flat.push(region * region_size + offset);
        }

        let mut buffer = vec![1u8; (REGIONS * region_size) as usize]; // written: every page is resident
        let pages = (REGIONS * region_size) >> PAGE_SHIFT;
        let bits = vec![u64::MAX; ((pages + 63) / 64) as usize];
        let raw = Raw(buffer.as_mut_ptr());
        let one_test = OneTest(buffer.as_mut_ptr(), bits.as_ptr());

        let ranges: Vec<(GuestAddress, usize)> =
            (0..REGIONS).map(|i| (GuestAddress(i << 28), region_size as usize)).collect();
        let memory = GuestMemoryMmap::<()>::from_ranges(&ranges).expect("vm-memory regions");
        let ones = vec![1u8; region_size as usize];
        for &(start, _) in &ranges {
            memory.write_slice(&ones, start).expect("touch region");
        }
        let vm = VmMemory(memory);

        for mix in ["Read", "Write", "Mixed"] {
            // Rounds interleave the three, so all see the same background load; one warm-up round first.
            let (mut r, mut o, mut v) = (f64::MAX, f64::MAX, f64::MAX);
            for round in 0..=runs {
                let times = (pass(&raw, &flat, mix), pass(&one_test, &flat, mix), pass(&vm, &guest, mix));
                if round > 0 {
                    r = r.min(times.0);
                    o = o.min(times.1);
                    v = v.min(times.2);
                }
            }
            println!(
                "{:<6} {:<6} {:>8.2} {:>8.2} ({:.2}x) {:>8.2} ({:.2}x)",
                set, mix, r, o, o / r, v, v / r
            );
            if let Some(file) = tsv.as_mut() {
                writeln!(file, "{set}\t{mix}\traw\t{r:.3}").unwrap();
                writeln!(file, "{set}\t{mix}\tone-test\t{o:.3}").unwrap();
                writeln!(file, "{set}\t{mix}\tvm-memory\t{v:.3}").unwrap();
            }
        }
    }
}
