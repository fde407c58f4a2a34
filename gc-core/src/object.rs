//! The object model: a header word, then reference slots, then raw payload bytes.
//!
//! ```text
//!  header word (u64)
//!  ┌────────────┬──────────────┬───────────────────┬─────┬─────┬──────┬──────┐
//!  │ bytes (16) │  slots (16)  │   type id (24)    │ pro │ ext │ age  │ tag  │
//!  └────────────┴──────────────┴───────────────────┴─────┴─────┴──────┴──────┘
//!   63        48 47          32 31                8    7     6  5    2  1    0
//! ```
//!
//! `pro` marks an object a scavenge promoted since the last full collection's marking reached it:
//! marking clears it and counts the object's bytes, so the full collection knows how many bytes
//! promoted since the one before died in old space (see `crate::promoted_survival`).
//!
//! `tag` says what the word is: an object header, a forwarding pointer (the rest of the word is
//! the new address, written over the header by a moving collector), or a filler (the rest is the
//! size of a free block, so that every page can be walked object by object). Objects with 65,535
//! or more slots or payload bytes set `ext` and keep both counts in a second header word.
//! Slots hold [`TaggedWord`]s; payload bytes are never scanned.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::address::{Address, WORD, round_up};
use crate::slot::Slot;
use crate::tagged::TaggedWord;
use crate::type_table::TypeId;

const TAG_MASK: u64 = 0b11;
const TAG_OBJECT: u64 = 0b00;
const TAG_FORWARDED: u64 = 0b01;
const TAG_FILLER: u64 = 0b10;
const AGE_SHIFT: u32 = 2;
const AGE_MASK: u64 = 0b1111 << AGE_SHIFT;
const EXTENDED: u64 = 1 << 6;
const PROMOTED: u64 = 1 << 7;
const TYPE_SHIFT: u32 = 8;
const TYPE_MASK: u64 = 0xff_ffff << TYPE_SHIFT;
const SLOTS_SHIFT: u32 = 32;
const BYTES_SHIFT: u32 = 48;
const INLINE_LIMIT: u32 = 0xffff;
const FILLER_SIZE_SHIFT: u32 = 8;

/// The largest age a header can hold.
pub const MAX_AGE: u8 = 15;
/// The largest object the heap accepts (1 GiB); larger requests are an error, not an abort.
pub const MAX_OBJECT_SIZE: usize = 1 << 30;
/// Objects with bodies up to this many words are cleared word by word.
const SMALL_BODY_WORDS: usize = 8;
/// The smallest object: a header word alone.
pub const MIN_OBJECT_SIZE: usize = WORD;

/// What an object looks like: its type label, reference slots and raw payload bytes.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct ObjectShape {
    pub type_id: TypeId,
    pub slots: u32,
    pub bytes: u32,
}

impl ObjectShape {
    /// A shape, or `None` when the object would exceed [`MAX_OBJECT_SIZE`].
    pub fn new(type_id: TypeId, slots: u64, bytes: u64) -> Option<ObjectShape> {
        let slots = u32::try_from(slots).ok()?;
        let bytes = u32::try_from(bytes).ok()?;
        let shape = ObjectShape {
            type_id,
            slots,
            bytes,
        };
        (shape.size() <= MAX_OBJECT_SIZE).then_some(shape)
    }

    fn is_extended(&self) -> bool {
        self.slots >= INLINE_LIMIT || self.bytes >= INLINE_LIMIT
    }

    fn header_words(&self) -> usize {
        if self.is_extended() { 2 } else { 1 }
    }

    /// Size of the object in bytes, header included.
    pub fn size(&self) -> usize {
        (self.header_words() + self.slots as usize) * WORD + round_up(self.bytes as usize, WORD)
    }
}

/// What a header word holds.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum HeaderKind {
    /// An object; read its shape from the [`HeapObject`].
    Object,
    /// A moved object: its new address.
    Forwarded(Address),
    /// A free block of this many bytes.
    Filler(usize),
}

/// Decodes the kind of a raw header word.
pub fn header_kind(word: u64) -> HeaderKind {
    match word & TAG_MASK {
        TAG_OBJECT => HeaderKind::Object,
        TAG_FORWARDED => HeaderKind::Forwarded(Address::new((word & !TAG_MASK) as usize)),
        _ => HeaderKind::Filler((word >> FILLER_SIZE_SHIFT) as usize),
    }
}

/// Writes a filler header for a free block of `size` bytes at `address`.
///
/// # Safety
/// `[address, address + size)` must be free memory of a live page (rule P1).
pub unsafe fn write_filler(address: Address, size: usize) {
    debug_assert!(size >= WORD && size % WORD == 0);
    // SAFETY: the caller guarantees the block is page memory (P1).
    unsafe { address.write_word(((size as u64) << FILLER_SIZE_SHIFT) | TAG_FILLER) }
}

/// Size in bytes of whatever starts at `address`: an object or a filler.
///
/// # Safety
/// `address` must be the start of an object or filler in a live page (P1, P2); it must not be
/// forwarded.
pub unsafe fn size_at(address: Address) -> usize {
    // SAFETY: guaranteed by the caller.
    let word = unsafe { address.read_word() };
    match header_kind(word) {
        HeaderKind::Filler(size) => size,
        // SAFETY: an object header starts here (caller).
        HeaderKind::Object => unsafe { HeapObject::from_address(address) }.size(),
        HeaderKind::Forwarded(_) => panic!("size_at: {address} is forwarded"),
    }
}

/// A reference to an object start in the heap. Its methods are safe because creating one is not:
/// the creator promises the address is the start of a live, unforwarded object (rule P2).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct HeapObject(Address);

impl HeapObject {
    /// # Safety
    /// `address` is the start of a live object in a live page (P2), and stays so while the
    /// returned value is used.
    #[inline(always)]
    pub unsafe fn from_address(address: Address) -> HeapObject {
        HeapObject(address)
    }

    #[inline(always)]
    pub fn address(self) -> Address {
        self.0
    }

    /// Whether the object's page belongs to new space.
    #[inline]
    pub fn is_in_new_space(self) -> bool {
        // SAFETY: a `HeapObject` is a live object start (P2), so masking finds its page's header.
        unsafe { crate::page::PageRef::containing(self.0) }
            .flags()
            .contains(crate::page::PageFlags::IN_NEW_SPACE)
    }

    /// Writes the header of a new object and clears its slots (null) and payload (zero).
    ///
    /// # Safety
    /// `[address, address + shape.size())` is unused memory of a live page (P1).
    #[inline(always)]
    pub unsafe fn initialize(address: Address, shape: &ObjectShape) -> HeapObject {
        // The mask keeps a foreign type id from spilling into the count fields.
        let mut header = ((shape.type_id.index() as u64) << TYPE_SHIFT) & TYPE_MASK;
        if shape.is_extended() {
            header |= EXTENDED;
        } else {
            header |= (shape.slots as u64) << SLOTS_SHIFT | (shape.bytes as u64) << BYTES_SHIFT;
        }
        // SAFETY: the whole object is writable page memory (caller, P1).
        unsafe {
            address.write_word(header);
            if shape.is_extended() {
                address
                    .add(WORD)
                    .write_word(shape.slots as u64 | (shape.bytes as u64) << 32);
            }
            let body = address.add(shape.header_words() * WORD);
            let body_words = shape.size() / WORD - shape.header_words();
            if body_words <= SMALL_BODY_WORDS {
                // A call to memset costs more than a few word stores for typical small objects.
                for i in 0..body_words {
                    body.add(i * WORD).write_word(0);
                }
            } else {
                std::ptr::write_bytes(body.as_mut_ptr(), 0, body_words * WORD);
            }
        }
        HeapObject(address)
    }

    #[inline(always)]
    fn header(self) -> u64 {
        // SAFETY: P2 holds for every HeapObject.
        unsafe { self.0.read_word() }
    }

    fn extension(self) -> u64 {
        // SAFETY: an extended header has a second word inside the object (P2).
        unsafe { self.0.add(WORD).read_word() }
    }

    fn is_extended(self) -> bool {
        self.header() & EXTENDED != 0
    }

    pub fn type_id(self) -> TypeId {
        TypeId::from_index(((self.header() & TYPE_MASK) >> TYPE_SHIFT) as u32)
    }

    #[inline(always)]
    pub fn slot_count(self) -> u32 {
        let header = self.header();
        if header & EXTENDED == 0 {
            ((header >> SLOTS_SHIFT) & 0xffff) as u32
        } else {
            self.extension() as u32
        }
    }

    pub fn payload_len(self) -> u32 {
        let header = self.header();
        if header & EXTENDED == 0 {
            (header >> BYTES_SHIFT) as u32
        } else {
            (self.extension() >> 32) as u32
        }
    }

    pub fn shape(self) -> ObjectShape {
        ObjectShape {
            type_id: self.type_id(),
            slots: self.slot_count(),
            bytes: self.payload_len(),
        }
    }

    #[inline(always)]
    pub fn size(self) -> usize {
        self.shape().size()
    }

    /// Slot `index` when the object has it, else its slot count: one read of the header for both
    /// the check and the address (the mutator's loads and stores take this path).
    #[inline(always)]
    pub fn checked_slot(self, index: u64) -> Result<Slot, u32> {
        let header = self.header();
        let (count, first) = if header & EXTENDED == 0 {
            (((header >> SLOTS_SHIFT) & 0xffff) as u32, WORD)
        } else {
            (self.extension() as u32, 2 * WORD)
        };
        if index < u64::from(count) {
            // SAFETY: the slot lies inside this live object (bounds checked), P2.
            Ok(unsafe { Slot::new(self.0.add(first + index as usize * WORD)) })
        } else {
            Err(count)
        }
    }

    fn first_slot(self) -> Address {
        self.0.add(if self.is_extended() { 2 * WORD } else { WORD })
    }

    /// Address of slot `index`; panics when out of range (callers check user input first).
    #[inline(always)]
    pub fn slot_address(self, index: u32) -> Address {
        assert!(index < self.slot_count(), "slot {index} out of range");
        self.first_slot().add(index as usize * WORD)
    }

    /// Slot `index`; panics when out of range.
    #[inline(always)]
    pub fn slot_at(self, index: u32) -> Slot {
        // SAFETY: the slot lies inside this live object (bounds asserted), P2.
        unsafe { Slot::new(self.slot_address(index)) }
    }

    #[inline(always)]
    pub fn slot(self, index: u32) -> TaggedWord {
        self.slot_at(index).load()
    }

    /// Writes a slot without a write barrier: for collectors updating references and for the
    /// heap's store, which runs the barrier itself.
    ///
    /// # Safety
    /// `value` is null, an SMI or the start of a live object (rule P2), and the caller runs
    /// whatever barrier the collector needs.
    #[inline(always)]
    pub unsafe fn set_slot_raw(self, index: u32, value: TaggedWord) {
        // SAFETY: the caller's contract is the store's.
        unsafe { self.slot_at(index).store(value) }
    }

    /// Calls `f` with every slot that holds a pointer, and the object it points to.
    #[inline]
    pub fn for_each_pointer(self, f: impl FnMut(Slot, Address)) {
        self.for_each_pointer_with(Slot::load, f)
    }

    /// [`HeapObject::for_each_pointer`] for a marker thread that runs beside the mutator: each
    /// slot is read with [`Slot::load_acquire`], so the object a pointer names was initialized
    /// (and marked, if allocated black) before the caller sees the pointer.
    pub fn for_each_pointer_acquire(self, f: impl FnMut(Slot, Address)) {
        self.for_each_pointer_with(Slot::load_acquire, f)
    }

    #[inline(always)]
    fn for_each_pointer_with(
        self,
        load: impl Fn(Slot) -> TaggedWord,
        mut f: impl FnMut(Slot, Address),
    ) {
        let first = self.first_slot();
        for i in 0..self.slot_count() as usize {
            // SAFETY: the slot lies inside this live object, P2.
            let slot = unsafe { Slot::new(first.add(i * WORD)) };
            if let Some(target) = load(slot).as_pointer() {
                f(slot, target);
            }
        }
    }

    pub fn payload_address(self) -> Address {
        self.first_slot().add(self.slot_count() as usize * WORD)
    }

    pub fn age(self) -> u8 {
        age_of_header(self.header())
    }

    pub fn set_age(self, age: u8) {
        let header = header_with_age(self.header(), age);
        // SAFETY: P2, P3.
        unsafe { self.0.write_word(header) }
    }

    /// Marks the object as promoted by a scavenge (the `pro` bit).
    pub fn set_promoted(self) {
        // SAFETY: P2, P3: the scavenger's own copy, in its pause.
        unsafe { self.0.write_word(self.header() | PROMOTED) }
    }

    /// Whether the object was promoted since marking last reached it, leaving the mark: for a
    /// marker thread beside the mutator, which reads headers but never writes them (the mutator
    /// reads them without synchronization).
    #[inline(always)]
    pub fn is_promoted(self) -> bool {
        self.header() & PROMOTED != 0
    }

    /// Whether the object was promoted since marking last reached it; clears the mark. Only the
    /// thread that scans the object in a marking calls this (P5).
    #[inline(always)]
    pub fn take_promoted(self) -> bool {
        let header = self.header();
        let promoted = header & PROMOTED != 0;
        if promoted {
            // SAFETY: P2, P3: the marker's write to an object only it scans.
            unsafe { self.0.write_word(header & !PROMOTED) }
        }
        promoted
    }

    /// Overwrites the header with a forwarding pointer to `target`. After this the object is
    /// gone from this address: only [`header_kind`] may read it.
    ///
    /// # Safety
    /// Only a moving collector in a pause may do this, after copying the object to `target`, and
    /// it must update every reference before the pause ends (P2).
    pub unsafe fn forward_to(self, target: Address) {
        debug_assert!(target.is_word_aligned());
        // SAFETY: P2, P3.
        unsafe { self.0.write_word(target.raw() as u64 | TAG_FORWARDED) }
    }
}

/// The header word at `address`, read atomically (acquire) because a parallel collector's
/// threads may be forwarding the object meanwhile ([`forward_shared`]); it pairs with the release
/// of the winning forward, so a forwarding address read here points at a complete copy.
///
/// # Safety
/// `address` is an object start of a live page (P1, P2), and while the threads run every write
/// to this word is a [`forward_shared`].
#[inline(always)]
pub unsafe fn load_header_shared(address: Address) -> u64 {
    // SAFETY: an aligned word of page memory (caller, P1); every concurrent access is atomic.
    unsafe { AtomicU64::from_ptr(address.as_mut_ptr().cast::<u64>()) }.load(Ordering::Acquire)
}

/// Size in bytes of the object at `address`, whose header word `header` the caller read (with
/// [`load_header_shared`]) and found to be an object's.
///
/// # Safety
/// As [`load_header_shared`]; an extended object's second header word is never written while
/// the object lives (P2).
#[inline(always)]
pub unsafe fn size_with_header(address: Address, header: u64) -> usize {
    debug_assert_eq!(header & TAG_MASK, TAG_OBJECT);
    let (slots, bytes) = if header & EXTENDED == 0 {
        ((header >> SLOTS_SHIFT) & 0xffff, header >> BYTES_SHIFT)
    } else {
        // SAFETY: an extended header has a second word inside the object (caller, P2).
        let extension = unsafe { address.add(WORD).read_word() };
        (extension & 0xffff_ffff, extension >> 32)
    };
    ObjectShape {
        type_id: TypeId::from_index(0),
        slots: slots as u32,
        bytes: bytes as u32,
    }
    .size()
}

/// The object header `header` with its age set to `age` (capped at [`MAX_AGE`]).
#[inline(always)]
pub fn header_with_age(header: u64, age: u8) -> u64 {
    (header & !AGE_MASK) | ((age.min(MAX_AGE) as u64) << AGE_SHIFT)
}

/// The object header `header` marked as promoted (see [`HeapObject::set_promoted`]).
#[inline(always)]
pub fn header_as_promoted(header: u64) -> u64 {
    header | PROMOTED
}

/// The age recorded in the object header `header`.
#[inline(always)]
pub fn age_of_header(header: u64) -> u8 {
    ((header & AGE_MASK) >> AGE_SHIFT) as u8
}

/// Replaces the header `expected` at `address` with a forwarding pointer to `target`, unless
/// another thread forwarded the object first: then returns where that thread's copy is. Exactly
/// one of the threads racing to copy an object wins (V8's `MigrateObject` with a CAS); the
/// losers give back their copies' memory.
///
/// # Safety
/// As [`HeapObject::forward_to`], for a collector whose threads all forward through this
/// function; `expected` was read with [`load_header_shared`], and `target` holds a complete
/// copy (the release here publishes it).
#[inline(always)]
pub unsafe fn forward_shared(
    address: Address,
    expected: u64,
    target: Address,
) -> Result<(), Address> {
    debug_assert!(target.is_word_aligned());
    // SAFETY: as for `load_header_shared` (caller).
    let header = unsafe { AtomicU64::from_ptr(address.as_mut_ptr().cast::<u64>()) };
    let forwarding = target.raw() as u64 | TAG_FORWARDED;
    match header.compare_exchange(expected, forwarding, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Ok(()),
        Err(now) => match header_kind(now) {
            HeaderKind::Forwarded(winner) => Err(winner),
            kind => panic!("forward_shared: the header at {address} changed to {kind:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tagged::Smi;

    fn with_words<R>(words: usize, f: impl FnOnce(Address) -> R) -> R {
        let mut memory = vec![0xdead_beef_u64; words];
        let address = Address::new(memory.as_mut_ptr().expose_provenance());
        let result = f(address);
        drop(memory);
        result
    }

    #[test]
    fn only_the_first_shared_forward_wins() {
        let shape = ObjectShape::new(TypeId::from_index(3), 70_000, 9).unwrap();
        with_words(shape.size() / WORD + 2, |a| {
            // SAFETY: enough words of a live Vec for the object.
            let object = unsafe { HeapObject::initialize(a, &shape) };
            object.set_age(2);
            // SAFETY: the object's start; no other thread runs.
            let header = unsafe { load_header_shared(a) };
            assert_eq!(age_of_header(header), 2);
            // SAFETY: as above; an extended header's second word is in the object.
            assert_eq!(unsafe { size_with_header(a, header) }, shape.size());
            let (first, second) = (Address::new(0x1000), Address::new(0x2000));
            // SAFETY: as above.
            unsafe {
                assert_eq!(forward_shared(a, header, first), Ok(()));
                assert_eq!(forward_shared(a, header, second), Err(first));
            }
            // SAFETY: as above.
            let now = unsafe { a.read_word() };
            assert_eq!(header_kind(now), HeaderKind::Forwarded(first));
        })
    }

    #[test]
    fn small_shape_fits_one_header_word() {
        let shape = ObjectShape::new(TypeId::from_index(7), 2, 5).unwrap();
        assert_eq!(shape.size(), 8 + 16 + 8);
        with_words(4, |a| {
            // SAFETY: four words of a live Vec.
            let object = unsafe { HeapObject::initialize(a, &shape) };
            assert_eq!(object.shape(), shape);
            assert_eq!(object.slot(0), TaggedWord::NULL);
            assert_eq!(object.slot(1), TaggedWord::NULL);
            // SAFETY: an SMI.
            unsafe { object.set_slot_raw(1, TaggedWord::from_smi(Smi::new(-3).unwrap())) };
            assert_eq!(object.slot(1).as_smi().map(Smi::value), Some(-3));
            object.set_age(3);
            assert_eq!((object.age(), object.shape()), (3, shape));
            assert_eq!(object.payload_address(), a.add(24));
        });
    }

    #[test]
    fn large_counts_use_an_extended_header() {
        let shape = ObjectShape::new(TypeId::from_index(1), 70_000, 3).unwrap();
        assert_eq!(shape.size(), 16 + 70_000 * 8 + 8);
        with_words(shape.size() / 8, |a| {
            // SAFETY: the Vec holds the whole object.
            let object = unsafe { HeapObject::initialize(a, &shape) };
            assert_eq!(object.shape(), shape);
            assert_eq!(object.slot_address(0), a.add(16));
        });
    }

    #[test]
    fn oversized_shapes_are_refused() {
        assert!(ObjectShape::new(TypeId::from_index(0), 1 << 28, 0).is_none());
        assert!(ObjectShape::new(TypeId::from_index(0), 0, u64::MAX).is_none());
    }

    #[test]
    fn forwarding_and_filler_headers_decode() {
        with_words(4, |a| {
            // SAFETY: four words of a live Vec.
            unsafe { write_filler(a, 32) };
            // SAFETY: as above.
            let word = unsafe { a.read_word() };
            assert_eq!(header_kind(word), HeaderKind::Filler(32));
            // SAFETY: as above.
            assert_eq!(unsafe { size_at(a) }, 32);
            let shape = ObjectShape::new(TypeId::from_index(0), 1, 0).unwrap();
            // SAFETY: as above.
            let object = unsafe { HeapObject::initialize(a, &shape) };
            // SAFETY: a test object nothing refers to.
            unsafe { object.forward_to(Address::new(0x4000)) };
            // SAFETY: as above.
            let word = unsafe { a.read_word() };
            assert_eq!(
                header_kind(word),
                HeaderKind::Forwarded(Address::new(0x4000))
            );
        });
    }
}
