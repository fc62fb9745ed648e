//! The list view of watch mode: every exercise with its state, filtered, searched,
//! scrolled, and picked with Enter.

use super::app::{App, Effect, Key, View};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Pending,
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListState {
    pub selected: usize,
    pub filter: Filter,
    pub search: String,
    pub typing_search: bool,
}

impl App {
    /// Indices of the exercises the list shows, after filter and search.
    pub fn visible(&self, list: &ListState) -> Vec<usize> {
        let needle = list.search.to_lowercase();
        (0..self.exercises.len())
            .filter(|&i| {
                let e = &self.exercises[i];
                let done = self.progress.is_done(&e.name);
                let by_filter = match list.filter {
                    Filter::All => true,
                    Filter::Done => done,
                    Filter::Pending => !done,
                };
                by_filter
                    && (needle.is_empty()
                        || e.name.to_lowercase().contains(&needle)
                        || e.chapter.to_lowercase().contains(&needle))
            })
            .collect()
    }

    pub(super) fn list_key(&mut self, key: Key, mut list: ListState) -> Vec<Effect> {
        if list.typing_search {
            match key {
                Key::Enter | Key::Esc => list.typing_search = false,
                Key::Backspace => {
                    list.search.pop();
                }
                Key::Char(c) => list.search.push(c),
                _ => {}
            }
            self.snap_selection(&mut list);
            self.view = View::List(list);
            return Vec::new();
        }
        let visible = self.visible(&list);
        let position = visible
            .iter()
            .position(|&i| i == list.selected)
            .unwrap_or(0);
        let last = visible.len().saturating_sub(1);
        let page = self.page();
        let moved = |to: usize| visible.get(to.min(last)).copied();
        let target = match key {
            Key::Up | Key::Char('k') => moved(position.saturating_sub(1)),
            Key::Down | Key::Char('j') => moved(position + 1),
            Key::PageUp => moved(position.saturating_sub(page)),
            Key::PageDown => moved(position + page),
            Key::Home | Key::Char('g') => moved(0),
            Key::End | Key::Char('G') => moved(last),
            _ => None,
        };
        if let Some(target) = target {
            list.selected = target;
            self.view = View::List(list);
            return Vec::new();
        }
        match key {
            Key::Esc | Key::Char('q') | Key::Char('l') => {
                if list.search.is_empty() || key != Key::Esc {
                    self.view = View::Main;
                } else {
                    list.search.clear();
                    self.view = View::List(list);
                }
                Vec::new()
            }
            Key::Enter if !visible.is_empty() => {
                self.view = View::Main;
                self.select(list.selected)
            }
            Key::Char('/') => {
                list.typing_search = true;
                self.view = View::List(list);
                Vec::new()
            }
            Key::Char('f') => {
                list.filter = match list.filter {
                    Filter::All => Filter::Pending,
                    Filter::Pending => Filter::Done,
                    Filter::Done => Filter::All,
                };
                self.snap_selection(&mut list);
                self.view = View::List(list);
                Vec::new()
            }
            Key::Char('x') if !visible.is_empty() => {
                self.view = View::ConfirmReset {
                    index: list.selected,
                    from_list: Some(list),
                };
                Vec::new()
            }
            _ => {
                self.view = View::List(list);
                Vec::new()
            }
        }
    }

    fn snap_selection(&self, list: &mut ListState) {
        let visible = self.visible(list);
        if !visible.contains(&list.selected)
            && let Some(&first) = visible.first()
        {
            list.selected = first;
        }
    }
}
