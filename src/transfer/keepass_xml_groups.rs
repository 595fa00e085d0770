//! The groups of a KeePass 2 XML document and the hand-over of its entries, for the reader
//! ([`super::keepass_xml_read`]).
//!
//! Groups are kept in a flat table ([`Groups`]) so memory stays linear however deep they
//! nest. An entry goes to the caller's sink as soon as its place is known: its group's and
//! every parent's UUID and name have been read, and so has `Meta` (which names the recycle
//! bin). Every writer puts `Meta` before `Root` and a group's UUID and name before its
//! entries, so a real file streams and its records are never all held at once; an entry
//! read before its place is known waits, with every later one (to keep document order), for
//! the end of the file ([`Emitter::finish`]), and gets the same group path and bin decision.

use super::keepass::MAX_GROUP_TAG;
use super::record::Record;

/// What has been read of a group: its `UUID`, its `Name`.
const UUID_READ: u8 = 1;
const NAME_READ: u8 = 2;

/// Every group of the file in document order (a parent before its children).
#[derive(Default)]
pub(super) struct Groups {
    uuid: Vec<String>,
    name: Vec<String>,
    parent: Vec<Option<usize>>,
    read: Vec<u8>,
}

impl Groups {
    /// A new group below `parent` (`None`: the root group); its index.
    pub(super) fn push(&mut self, parent: Option<usize>) -> usize {
        self.uuid.push(String::new());
        self.name.push(String::new());
        self.parent.push(parent);
        self.read.push(0);
        self.parent.len() - 1
    }

    pub(super) fn set_uuid(&mut self, g: usize, uuid: &str) {
        self.uuid[g] = uuid.trim().to_owned();
        self.read[g] |= UUID_READ;
    }

    pub(super) fn set_name(&mut self, g: usize, name: &str) {
        self.name[g] = name.to_owned();
        self.read[g] |= NAME_READ;
    }

    /// Per group: whether it is the recycle bin or inside it.
    fn in_bin(&self, bin: Option<&str>) -> Vec<bool> {
        let mut inside = Vec::with_capacity(self.uuid.len());
        for (i, uuid) in self.uuid.iter().enumerate() {
            let parent = self.parent[i].is_some_and(|p| inside.get(p) == Some(&true));
            inside.push(parent || bin == Some(uuid.as_str()));
        }
        inside
    }

    /// The path of group `g` below the root group ("Exchanges/Spot"), cut to its last groups
    /// (after "…/") when longer than [`MAX_GROUP_TAG`].
    fn path(&self, g: usize) -> String {
        let mut names: Vec<&str> = Vec::new();
        let mut len = 0;
        let mut at = Some(g);
        while let Some(i) = at {
            at = self.parent[i];
            if at.is_none() {
                break; // the root group itself
            }
            len += self.name[i].len() + 1;
            if len > MAX_GROUP_TAG && !names.is_empty() {
                names.push("…");
                break;
            }
            names.push(self.name[i].as_str());
        }
        names.reverse();
        names.join("/")
    }
}

/// Hands finished entries to the sink (see the module's comment).
pub(super) struct Emitter<'s> {
    sink: &'s mut dyn FnMut(Record),
    /// Entries whose place was not known when they ended, with their group.
    waiting: Vec<(Record, usize)>,
    /// Per group, once known: (in the recycle bin, its path).
    placed: Vec<Option<(bool, String)>>,
    /// Entries read so far (history versions aside).
    pub(super) count: usize,
}

impl<'s> Emitter<'s> {
    pub(super) fn new(sink: &'s mut dyn FnMut(Record)) -> Self {
        Emitter {
            sink,
            waiting: Vec::new(),
            placed: Vec::new(),
            count: 0,
        }
    }

    /// A finished entry of group `g`. `bin`: the recycle bin's UUID once `Meta` has been read
    /// (`Some(None)`: no bin), `None` before.
    pub(super) fn entry(
        &mut self,
        record: Record,
        g: usize,
        groups: &Groups,
        bin: Option<Option<&str>>,
    ) {
        self.count += 1;
        let in_bin = match bin {
            Some(bin) if self.waiting.is_empty() => self.place(g, groups, bin),
            _ => None,
        };
        match in_bin {
            Some(false) => {
                let path = self.placed[g].as_ref().map_or("", |p| p.1.as_str());
                (self.sink)(with_group(record, path));
            }
            Some(true) => {}
            None => self.waiting.push((record, g)),
        }
    }

    /// At the end of a file read whole: the waiting entries, placed as the group table now
    /// says.
    pub(super) fn finish(self, groups: &Groups, bin: Option<&str>) {
        if self.waiting.is_empty() {
            return;
        }
        let in_bin = groups.in_bin(bin);
        for (record, g) in self.waiting {
            if !in_bin[g] {
                (self.sink)(with_group(record, &groups.path(g)));
            }
        }
    }

    /// Whether group `g` is in the bin (its path then in `placed`), if every group from `g` up to the root
    /// has had its UUID and (below the root) its name read; remembered per group.
    fn place(&mut self, g: usize, groups: &Groups, bin: Option<&str>) -> Option<bool> {
        if self.placed.len() < groups.parent.len() {
            self.placed.resize(groups.parent.len(), None);
        }
        // The groups from `g` up to the first one already placed (or the root).
        let mut chain = Vec::new();
        let mut at = Some(g);
        while let Some(i) = at {
            if self.placed[i].is_some() {
                break;
            }
            let parent = groups.parent[i];
            let needs = if parent.is_some() {
                UUID_READ | NAME_READ
            } else {
                UUID_READ
            };
            if groups.read[i] & needs != needs {
                return None;
            }
            chain.push(i);
            at = parent;
        }
        for &i in chain.iter().rev() {
            let parent_in_bin = groups.parent[i]
                .and_then(|p| self.placed[p].as_ref())
                .is_some_and(|p| p.0);
            let inside = parent_in_bin || bin == Some(groups.uuid[i].as_str());
            self.placed[i] = Some((inside, groups.path(i)));
        }
        self.placed[g].as_ref().map(|p| p.0)
    }
}

/// The record with its group path, which is also one of its tags.
fn with_group(mut r: Record, path: &str) -> Record {
    r.group.clear();
    r.group.push_str(path);
    if !r.group.is_empty() {
        r.tags.push(path.to_owned());
    }
    r
}
