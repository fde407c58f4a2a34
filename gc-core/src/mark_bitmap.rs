//! The marking bitmap of a page: one bit per heap word, set for the first word of each marked
//! object.
//!
//! It lives inside the page header, so a marker finds an object's bit by masking its address.
//! Bits are atomic words: page headers are only ever reached through shared references (rule
//! P3), and parallel marking sets bits of one word from several threads ([`MarkBitmap::mark_shared`]).
//! Everything else uses relaxed loads and stores, which compile to plain moves. Outside marking
//! every bit is clear; the sweeper clears a page's bits as it sweeps it.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::address::WORD;
use crate::page::PAGE_SIZE;

const BITS: usize = 64;
const CELLS: usize = PAGE_SIZE / WORD / BITS;

pub struct MarkBitmap {
    cells: [AtomicU64; CELLS],
}

impl MarkBitmap {
    /// Bit index of the word at `offset` bytes from the page start.
    #[inline(always)]
    fn locate(offset: usize) -> (usize, u64) {
        let bit = offset / WORD;
        (bit / BITS, 1u64 << (bit % BITS))
    }

    #[inline(always)]
    pub fn is_marked(&self, offset: usize) -> bool {
        let (cell, mask) = Self::locate(offset);
        self.cells[cell].load(Relaxed) & mask != 0
    }

    /// Sets the bit; returns `true` when it was clear (the caller marked the object first).
    ///
    /// # Safety
    /// `offset` is the offset of an object start on this page, and the caller is the collector
    /// that owns the page (rule P5).
    #[inline(always)]
    pub unsafe fn mark(&self, offset: usize) -> bool {
        let (cell, mask) = Self::locate(offset);
        let old = self.cells[cell].load(Relaxed);
        self.cells[cell].store(old | mask, Relaxed);
        old & mask == 0
    }

    /// [`MarkBitmap::mark`] when other threads may set bits of the same word at the same time
    /// (parallel marking): an atomic or, so no bit is lost and exactly one thread sees the bit
    /// clear.
    ///
    /// # Safety
    /// As for [`MarkBitmap::mark`]; the threads are the owning collector's (rule P5).
    #[inline(always)]
    pub unsafe fn mark_shared(&self, offset: usize) -> bool {
        let (cell, mask) = Self::locate(offset);
        self.cells[cell].fetch_or(mask, Relaxed) & mask == 0
    }

    /// # Safety
    /// Page state is written only by the collector that owns the page (rule P5).
    pub unsafe fn unmark(&self, offset: usize) {
        let (cell, mask) = Self::locate(offset);
        self.cells[cell].store(self.cells[cell].load(Relaxed) & !mask, Relaxed);
    }

    /// # Safety
    /// Page state is written only by the collector that owns the page (rule P5).
    pub unsafe fn clear(&self) {
        for cell in &self.cells {
            cell.store(0, Relaxed);
        }
    }

    pub fn is_clean(&self) -> bool {
        self.cells.iter().all(|cell| cell.load(Relaxed) == 0)
    }

    /// Byte offset of the first marked word at or after `offset`, if any.
    pub fn next_marked(&self, offset: usize) -> Option<usize> {
        let bit = offset / WORD;
        let mut cell = bit / BITS;
        if cell >= CELLS {
            return None;
        }
        let mut bits = self.cells[cell].load(Relaxed) & (!0u64 << (bit % BITS));
        loop {
            if bits != 0 {
                return Some((cell * BITS + bits.trailing_zeros() as usize) * WORD);
            }
            cell += 1;
            if cell == CELLS {
                return None;
            }
            bits = self.cells[cell].load(Relaxed);
        }
    }

    /// Byte offset of the last marked word at or before `offset`, if any (to find the marked
    /// object a slot may lie in).
    pub fn previous_marked(&self, offset: usize) -> Option<usize> {
        let bit = offset / WORD;
        let mut cell = (bit / BITS).min(CELLS - 1);
        let shift = if bit / BITS >= CELLS {
            0
        } else {
            BITS - 1 - bit % BITS
        };
        let mut bits = (self.cells[cell].load(Relaxed) << shift) >> shift;
        loop {
            if bits != 0 {
                return Some((cell * BITS + (BITS - 1 - bits.leading_zeros() as usize)) * WORD);
            }
            if cell == 0 {
                return None;
            }
            cell -= 1;
            bits = self.cells[cell].load(Relaxed);
        }
    }

    /// Number of marked words.
    pub fn count(&self) -> usize {
        self.cells
            .iter()
            .map(|c| c.load(Relaxed).count_ones() as usize)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bitmap() -> Box<MarkBitmap> {
        Box::new(MarkBitmap {
            cells: std::array::from_fn(|_| AtomicU64::new(0)),
        })
    }

    #[test]
    fn mark_reports_first_marking_only() {
        let bitmap = bitmap();
        // SAFETY: a private bitmap, no page behind it.
        unsafe {
            assert!(bitmap.mark(64));
            assert!(!bitmap.mark(64));
            assert!(bitmap.is_marked(64));
            assert!(!bitmap.is_marked(72));
            bitmap.unmark(64);
        }
        assert!(bitmap.is_clean());
    }

    #[test]
    fn next_marked_scans_across_cells() {
        let bitmap = bitmap();
        for offset in [8, 512, 4096, PAGE_SIZE - 8] {
            // SAFETY: a private bitmap, no page behind it.
            unsafe { bitmap.mark(offset) };
        }
        assert_eq!(bitmap.next_marked(0), Some(8));
        assert_eq!(bitmap.next_marked(16), Some(512));
        assert_eq!(bitmap.next_marked(520), Some(4096));
        assert_eq!(bitmap.next_marked(4104), Some(PAGE_SIZE - 8));
        assert_eq!(bitmap.next_marked(PAGE_SIZE), None);
        assert_eq!(bitmap.count(), 4);
        // SAFETY: a private bitmap, no page behind it.
        unsafe { bitmap.clear() };
        assert_eq!(bitmap.next_marked(0), None);
    }

    #[test]
    fn previous_marked_scans_back_across_cells() {
        let bitmap = bitmap();
        for offset in [8, 512, 4096, PAGE_SIZE - 8] {
            // SAFETY: a private bitmap, no page behind it.
            unsafe { bitmap.mark(offset) };
        }
        assert_eq!(bitmap.previous_marked(0), None);
        assert_eq!(bitmap.previous_marked(8), Some(8));
        assert_eq!(bitmap.previous_marked(504), Some(8));
        assert_eq!(bitmap.previous_marked(512), Some(512));
        assert_eq!(bitmap.previous_marked(4095), Some(512));
        assert_eq!(bitmap.previous_marked(PAGE_SIZE - 16), Some(4096));
        assert_eq!(bitmap.previous_marked(PAGE_SIZE * 2), Some(PAGE_SIZE - 8));
    }
}
