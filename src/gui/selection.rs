//! A list's selection as file managers have it: a click selects one, Ctrl+click adds or takes
//! away one, Shift+click selects the range from the last plain click, Ctrl+A everything shown.
//! Shared by the queue (keys are job ids) and History (keys are entry indices, which stay the
//! same entry as new ones are added, see `history_list`); the order is
//! the list's as shown, passed in, since the list changes between clicks.

use std::collections::BTreeSet;

pub struct Selection<K> {
    set: BTreeSet<K>,
    /// Where a Shift+click range starts.
    anchor: Option<K>,
    /// The row the keyboard acts on and moves from.
    focus: Option<K>,
}

impl<K> Default for Selection<K> {
    fn default() -> Self {
        Selection {
            set: BTreeSet::new(),
            anchor: None,
            focus: None,
        }
    }
}

impl<K: Ord + Copy> Selection<K> {
    /// A click on `key` with `mods` held; `order` is the list as shown.
    pub fn click(&mut self, key: K, mods: egui::Modifiers, order: &[K]) {
        if mods.shift {
            let at = order.iter().position(|k| *k == key);
            let from = self
                .anchor
                .and_then(|a| order.iter().position(|k| *k == a))
                .or(at);
            if let (Some(from), Some(at)) = (from, at) {
                if !mods.command {
                    self.set.clear();
                }
                let (lo, hi) = (from.min(at), from.max(at));
                self.set.extend(order[lo..=hi].iter().copied());
            }
            self.focus = Some(key);
            return;
        }
        if mods.command {
            if !self.set.remove(&key) {
                self.set.insert(key);
            }
        } else {
            self.only(key);
        }
        self.anchor = Some(key);
        self.focus = Some(key);
    }

    /// Just `key` (arrow keys, a plain click).
    pub fn only(&mut self, key: K) {
        self.set.clear();
        self.set.insert(key);
        self.anchor = Some(key);
        self.focus = Some(key);
    }

    pub fn select_all(&mut self, order: &[K]) {
        self.set = order.iter().copied().collect();
    }

    /// Adds `keys` to the selection (a list read again, its selected entries found anew).
    pub fn extend(&mut self, keys: impl IntoIterator<Item = K>) {
        self.set.extend(keys);
    }

    /// Keeps only the keys `keep` says yes to (rows removed, entries filtered away).
    pub fn retain(&mut self, keep: impl Fn(&K) -> bool) {
        self.set.retain(&keep);
        self.anchor = self.anchor.filter(&keep);
        self.focus = self.focus.filter(&keep);
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }

    pub fn contains(&self, key: &K) -> bool {
        self.set.contains(key)
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn focus(&self) -> Option<K> {
        self.focus
    }

    /// The selected keys of `order`, in its order.
    pub fn in_order<'a>(
        &'a self,
        order: impl IntoIterator<Item = K> + 'a,
    ) -> impl Iterator<Item = K> + 'a {
        order.into_iter().filter(|k| self.set.contains(k))
    }

    pub fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.set.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Modifiers;

    fn picked(s: &Selection<u32>) -> Vec<u32> {
        s.keys().collect()
    }

    #[test]
    fn clicks_as_in_a_file_manager() {
        let order = [5, 3, 9, 1, 7];
        let mut s = Selection::default();
        s.click(3, Modifiers::NONE, &order);
        assert_eq!(picked(&s), [3]);
        // Shift+click: the range in the list's order, not the keys' order.
        s.click(1, Modifiers::SHIFT, &order);
        assert_eq!(picked(&s), [1, 3, 9]);
        // Ctrl+click takes one away and adds one; the anchor moves to it.
        s.click(9, Modifiers::COMMAND, &order);
        assert_eq!(picked(&s), [1, 3]);
        s.click(7, Modifiers::COMMAND, &order);
        assert_eq!(picked(&s), [1, 3, 7]);
        // Ctrl+Shift+click adds the range from the anchor (7) and keeps the rest.
        s.click(5, Modifiers::COMMAND | Modifiers::SHIFT, &order);
        assert_eq!(picked(&s), [1, 3, 5, 7, 9]);
        assert_eq!(s.focus(), Some(5));
        // A plain click starts over.
        s.click(9, Modifiers::NONE, &order);
        assert_eq!(picked(&s), [9]);
        s.select_all(&order);
        assert_eq!(s.len(), 5);
        assert_eq!(s.in_order(order).collect::<Vec<_>>(), order);
        s.retain(|k| *k != 9);
        assert_eq!(s.focus(), None);
        assert_eq!(s.len(), 4);
        // An anchor no longer in the list: Shift+click selects just the clicked one.
        let mut s = Selection::default();
        s.click(42, Modifiers::NONE, &order);
        s.click(1, Modifiers::SHIFT, &order);
        assert_eq!(picked(&s), [1]);
    }
}
