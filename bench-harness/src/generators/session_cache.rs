//! The server's session cache: a `SessionTable` object whose slots are the head and tail of an
//! LRU list and then the buckets of a chained hash table, holding `Session` objects (slots: chain
//! next, LRU previous, LRU next, data), each with a `SessionData` and its user name `String`.
//!
//! Invariants: the mirror (`sessions`, `buckets`, `lru`) holds exactly what the trace stored in
//! the table's and the sessions' slots; every session in the cache is in one bucket chain, so it
//! stays reachable while the LRU list is rewired; a session evicted from both is unreachable and
//! gets `d` with its data and name at once (requests run one at a time, so none holds it).

use std::io;

use hashbrown::HashMap;

use super::emit::Emitter;
use gc_trace::TraceValue;

const LRU_HEAD: u32 = 0;
const LRU_TAIL: u32 = 1;
const FIRST_BUCKET: u32 = 2;
const CHAIN: u32 = 0;
const PREV: u32 = 1;
const NEXT: u32 = 2;
const DATA: u32 = 3;

type Link = Option<usize>;

#[derive(Debug)]
struct Session {
    key: u64,
    /// The `Session`, its `SessionData` and the data's name `String`.
    ids: [u64; 3],
    chain: Link,
    prev: Link,
    next: Link,
}

#[derive(Debug)]
pub(crate) struct SessionCache {
    table: u64,
    capacity: usize,
    sessions: Vec<Session>,
    free: Vec<usize>,
    by_key: HashMap<u64, usize>,
    buckets: Vec<Link>,
    /// Most and least recently used.
    lru: [Link; 2],
}

impl SessionCache {
    /// An empty table (two buckets per session slot would waste; two sessions per bucket on
    /// average when full). The table keeps the root of its `a`: it is a module global.
    pub fn new(em: &mut Emitter<'_>, capacity: u32) -> io::Result<Self> {
        let buckets = capacity.div_ceil(2);
        Ok(SessionCache {
            table: em.alloc(FIRST_BUCKET + buckets, 0, "SessionTable")?,
            capacity: capacity as usize,
            sessions: Vec::new(),
            free: Vec::new(),
            by_key: HashMap::new(),
            buckets: vec![None; buckets as usize],
            lru: [None; 2],
        })
    }

    fn bucket(&self, key: u64) -> usize {
        let hash = key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
        (hash % self.buckets.len() as u64) as usize
    }

    fn value(&self, link: Link) -> TraceValue {
        link.map_or(TraceValue::Null, |s| {
            TraceValue::Object(self.sessions[s].ids[0])
        })
    }

    /// The session of `key`, found through its bucket (and made most recent) or created (and the
    /// least recent evicted when the cache is over capacity). Returns the session's id.
    pub fn get_or_create(&mut self, em: &mut Emitter<'_>, key: u64) -> io::Result<u64> {
        let found = self.find(em, key)?;
        let session = match found {
            Some(session) => {
                em.read(self.sessions[session].ids[0], DATA)?;
                self.unlink_lru(em, session)?;
                self.push_front(em, session)?;
                session
            }
            None => self.create(em, key)?,
        };
        if self.by_key.len() > self.capacity {
            self.evict(em)?;
        }
        Ok(self.sessions[session].ids[0])
    }

    /// Walks the key's bucket chain, as a lookup's loads.
    fn find(&self, em: &mut Emitter<'_>, key: u64) -> io::Result<Link> {
        let target = self.by_key.get(&key).copied();
        let bucket = self.bucket(key);
        em.read(self.table, FIRST_BUCKET + bucket as u32)?;
        let mut current = self.buckets[bucket];
        while let Some(session) = current.filter(|&s| Some(s) != target) {
            em.read(self.sessions[session].ids[0], CHAIN)?;
            current = self.sessions[session].chain;
        }
        Ok(target)
    }

    fn create(&mut self, em: &mut Emitter<'_>, key: u64) -> io::Result<usize> {
        let id = em.alloc(4, 64, "Session")?;
        let data = em.alloc(1, 256, "SessionData")?;
        em.adopt(id, DATA, data)?;
        let name = em.alloc(0, 32, "String")?;
        em.adopt(data, 0, name)?;
        let bucket = self.bucket(key);
        let session = self.add(Session {
            key,
            ids: [id, data, name],
            chain: self.buckets[bucket],
            prev: None,
            next: None,
        });
        em.write(id, CHAIN, self.value(self.buckets[bucket]))?;
        self.buckets[bucket] = Some(session);
        em.store(self.table, FIRST_BUCKET + bucket as u32, id)?;
        self.push_front(em, session)?;
        em.unroot(id)?;
        Ok(session)
    }

    fn add(&mut self, session: Session) -> usize {
        let key = session.key;
        let index = match self.free.pop() {
            Some(index) => {
                self.sessions[index] = session;
                index
            }
            None => {
                self.sessions.push(session);
                self.sessions.len() - 1
            }
        };
        self.by_key.insert(key, index);
        index
    }

    /// Sets the LRU link in `slot` (`PREV` or `NEXT`) of `session`, or of the table's end when
    /// `session` is `None`.
    fn set_lru(
        &mut self,
        em: &mut Emitter<'_>,
        session: Link,
        slot: u32,
        to: Link,
    ) -> io::Result<()> {
        let value = self.value(to);
        match session {
            Some(s) => {
                let entry = &mut self.sessions[s];
                *(if slot == PREV {
                    &mut entry.prev
                } else {
                    &mut entry.next
                }) = to;
                em.write(entry.ids[0], slot, value)
            }
            None => {
                let end = if slot == NEXT { LRU_HEAD } else { LRU_TAIL };
                self.lru[end as usize] = to;
                em.write(self.table, end, value)
            }
        }
    }

    /// Takes `session` out of the LRU list (it stays in its bucket chain, so reachable).
    fn unlink_lru(&mut self, em: &mut Emitter<'_>, session: usize) -> io::Result<()> {
        let (prev, next) = (self.sessions[session].prev, self.sessions[session].next);
        // `prev.next = next` (or head = next), `next.prev = prev` (or tail = prev).
        self.set_lru(em, prev, NEXT, next)?;
        self.set_lru(em, next, PREV, prev)
    }

    fn push_front(&mut self, em: &mut Emitter<'_>, session: usize) -> io::Result<()> {
        let head = self.lru[LRU_HEAD as usize];
        self.set_lru(em, Some(session), PREV, None)?;
        self.set_lru(em, Some(session), NEXT, head)?;
        self.set_lru(em, head, PREV, Some(session))?;
        self.set_lru(em, None, NEXT, Some(session))
    }

    /// Drops the least recently used session from the list and its chain: it is garbage.
    fn evict(&mut self, em: &mut Emitter<'_>) -> io::Result<()> {
        let Some(victim) = self.lru[LRU_TAIL as usize] else {
            return Ok(());
        };
        self.unlink_lru(em, victim)?;
        self.unlink_chain(em, victim)?;
        let session = &self.sessions[victim];
        self.by_key.remove(&session.key);
        for id in session.ids {
            em.dead(id)?;
        }
        self.free.push(victim);
        Ok(())
    }

    fn unlink_chain(&mut self, em: &mut Emitter<'_>, victim: usize) -> io::Result<()> {
        let bucket = self.bucket(self.sessions[victim].key);
        em.read(self.table, FIRST_BUCKET + bucket as u32)?;
        let mut previous: Link = None;
        let mut current = self.buckets[bucket];
        while let Some(session) = current.filter(|&s| s != victim) {
            em.read(self.sessions[session].ids[0], CHAIN)?;
            (previous, current) = (Some(session), self.sessions[session].chain);
        }
        let after = self.sessions[victim].chain;
        let value = self.value(after);
        match previous {
            Some(p) => {
                self.sessions[p].chain = after;
                em.write(self.sessions[p].ids[0], CHAIN, value)
            }
            None => {
                self.buckets[bucket] = after;
                em.write(self.table, FIRST_BUCKET + bucket as u32, value)
            }
        }
    }
}
