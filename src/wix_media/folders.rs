//! Media Manager folders: a page of them, one by name, and creating one without ever making
//! two when an answer is lost.

use reqwest::Method;

use super::client::{Cursor, WixMediaClient};
use super::error::Error;
use super::repeat::Repeat;
use super::types::{Folder, Page};

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

    /// The folder called `display_name` directly under `parent_folder_id`, if there is one.
    pub(super) async fn find_folder(
        &self,
        display_name: &str,
        parent_folder_id: Option<&str>,
    ) -> Result<Option<Folder>, Error> {
        let mut cursor = None;
        for _ in 0..50 {
            let page = self
                .list_folders(parent_folder_id, cursor.as_deref())
                .await?;
            if let Some(f) = page
                .items
                .into_iter()
                .find(|f| f.display_name.as_deref() == Some(display_name))
            {
                return Ok(Some(f));
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(None)
    }
}
