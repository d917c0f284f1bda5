//! Media Manager folders: a page of them, all of them, one by name, and creating one without
//! ever making two when an answer is lost.

use std::ops::ControlFlow;

use reqwest::Method;

use super::client::{Cursor, WixMediaClient};
use super::error::Error;
use super::paging::{Paged, for_each_page};
use super::repeat::Repeat;
use super::types::{Folder, Page};

/// Pages of folders read at most by a search for one folder.
const MAX_FOLDER_PAGES: usize = 50;

impl WixMediaClient {
    /// One page of the folders under `parent_folder_id` (`media-root` when `None`). A read:
    /// safe to repeat.
    pub async fn list_folders(
        &self,
        parent_folder_id: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<Page<Folder>, Error> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default, rename_all = "camelCase")]
        struct Answer {
            folders: Vec<Folder>,
            next_cursor: Option<Cursor>,
        }
        let mut url = self.api_url("/site-media/v1/folders")?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(p) = parent_folder_id {
                q.append_pair("parentFolderId", p);
            }
            if let Some(c) = cursor {
                q.append_pair("paging.cursor", c);
            }
        }
        let a: Answer = self
            .transport
            .call("list folders", Repeat::Safe, || {
                self.api(Method::GET, url.clone())
            })
            .await?;
        Ok(Page {
            items: a.folders,
            next_cursor: a.next_cursor.and_then(Cursor::next),
        })
    }

    /// The folders under `parent_folder_id` (`media-root` when `None`), from at most
    /// `max_pages` pages: a site with more has the rest left out.
    pub async fn folders_under(
        &self,
        parent_folder_id: Option<&str>,
        max_pages: usize,
    ) -> Result<Vec<Folder>, Error> {
        let mut out = Vec::new();
        for_each_page(
            max_pages,
            |cursor| async move { self.list_folders(parent_folder_id, cursor.as_deref()).await },
            |folders| {
                out.extend(folders);
                ControlFlow::<()>::Continue(())
            },
        )
        .await?;
        Ok(out)
    }

    /// Creates a folder. A POST Wix does not deduplicate, but the folder it made can be found
    /// by name ([`Repeat::LookFirst`]): it is sent again at once only when the request surely
    /// never reached the server (no connection, or 429); after any other failure that may
    /// have created it (a reset, a stall, a 5xx), the folder is looked up by name first, so a
    /// lost answer never makes a second folder.
    pub async fn create_folder(
        &self,
        display_name: &str,
        parent_folder_id: Option<&str>,
    ) -> Result<Folder, Error> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct Answer {
            folder: Option<Folder>,
        }
        let url = self.api_url("/site-media/v1/folders")?;
        let mut body = serde_json::json!({ "displayName": display_name });
        if let Some(p) = parent_folder_id {
            body["parentFolderId"] = p.into();
        }
        let look = Repeat::LookFirst(Box::new(move || {
            Box::pin(async move {
                let found = self.find_folder(display_name, parent_folder_id).await?;
                Ok(found.map(|f| Answer { folder: Some(f) }))
            })
        }));
        let a: Answer = self
            .transport
            .call("create folder", look, || {
                self.api(Method::POST, url.clone()).json(&body)
            })
            .await?;
        a.folder
            .ok_or_else(|| Error::BadResponse("create folder: no folder in the answer".into()))
    }

    /// The folder called `display_name` directly under `parent_folder_id`, if there is one
    /// among the first [`MAX_FOLDER_PAGES`] pages.
    pub(super) async fn find_folder(
        &self,
        display_name: &str,
        parent_folder_id: Option<&str>,
    ) -> Result<Option<Folder>, Error> {
        let walked = for_each_page(
            MAX_FOLDER_PAGES,
            |cursor| async move { self.list_folders(parent_folder_id, cursor.as_deref()).await },
            |folders| match folders
                .into_iter()
                .find(|f| f.display_name.as_deref() == Some(display_name))
            {
                Some(f) => ControlFlow::Break(f),
                None => ControlFlow::Continue(()),
            },
        )
        .await?;
        Ok(match walked {
            Paged::Stopped(f) => Some(f),
            Paged::Complete | Paged::Truncated => None,
        })
    }
}
