//! Off-heap (external) memory owned by heap objects, as V8 accounts `ArrayBuffer` backing
//! stores: the bytes count towards the heap's pressure and are released when the owner is
//! reclaimed. Collectors call [`ExternalMemory::process`] after marking, like weak handles.

use hashbrown::HashMap;

use crate::address::Address;

/// Invariant: `total` is the sum of the owners' bytes (a `u128`, so that no amounts a program
/// declares can overflow it).
#[derive(Default)]
pub struct ExternalMemory {
    owners: HashMap<Address, u64>,
    total: u128,
}

impl ExternalMemory {
    /// Bytes currently owned by live objects (saturating at `u64::MAX`).
    pub fn total(&self) -> u64 {
        u64::try_from(self.total).unwrap_or(u64::MAX)
    }

    /// Bytes owned by `owner`.
    pub fn of(&self, owner: Address) -> u64 {
        self.owners.get(&owner).copied().unwrap_or(0)
    }

    /// Sets how many external bytes `owner` holds (zero forgets it).
    pub fn set(&mut self, owner: Address, bytes: u64) {
        let old = if bytes == 0 {
            self.owners.remove(&owner)
        } else {
            self.owners.insert(owner, bytes)
        };
        self.total = self.total - u128::from(old.unwrap_or(0)) + u128::from(bytes);
    }

    /// After marking: `f` maps each owner to its (possibly new) address, or `None` when it died,
    /// which releases its bytes. Returns the bytes released (saturating at `u64::MAX`).
    pub fn process(&mut self, mut f: impl FnMut(Address) -> Option<Address>) -> u64 {
        let mut released: u128 = 0;
        let mut moved = Vec::new();
        self.owners.retain(|&owner, &mut bytes| match f(owner) {
            Some(address) if address == owner => true,
            Some(address) => {
                moved.push((address, bytes));
                false
            }
            None => {
                released += u128::from(bytes);
                false
            }
        });
        self.owners.extend(moved);
        self.total -= released;
        u64::try_from(released).unwrap_or(u64::MAX)
    }

    pub fn owners(&self) -> impl Iterator<Item = (Address, u64)> + '_ {
        self.owners.iter().map(|(&a, &b)| (a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_amounts_saturate_instead_of_overflowing() {
        let mut external = ExternalMemory::default();
        external.set(Address::new(0x10), u64::MAX);
        external.set(Address::new(0x20), u64::MAX);
        assert_eq!(external.total(), u64::MAX);
        assert_eq!(
            external.process(|a| (a == Address::new(0x10)).then_some(a)),
            u64::MAX
        );
        assert_eq!(external.total(), u64::MAX);
        external.set(Address::new(0x10), 5);
        assert_eq!(external.total(), 5);
    }

    #[test]
    fn dead_owners_release_their_bytes() {
        let mut external = ExternalMemory::default();
        external.set(Address::new(0x10), 100);
        external.set(Address::new(0x20), 50);
        external.set(Address::new(0x10), 70);
        assert_eq!(external.total(), 120);
        let released =
            external.process(|a| (a == Address::new(0x10)).then_some(Address::new(0x30)));
        assert_eq!(released, 50);
        assert_eq!(external.total(), 70);
        assert_eq!(external.of(Address::new(0x30)), 70);
        assert_eq!(external.of(Address::new(0x10)), 0);
    }
}
