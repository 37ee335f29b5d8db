//! Video calls of synchronous consultations (远程视频会诊): the call page and the WebSocket that
//! relays WebRTC signalling (offer, answer, ICE candidates) between the participants of one room.
//! Media flows browser to browser; sanyi only admits participants and records the session
//! (start when two are connected, end when fewer than two remain) for billing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use sanyi_app::consultations;
use sanyi_store::consultations::ConsultationRow;

use super::{Nav, PageActor, page_error};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consultations/{id}/call", get(call_page))
        .route("/consultations/{id}/call/ws", get(call_ws))
}

/// The rooms of calls in progress, by consultation id.
#[derive(Default)]
pub struct CallHub {
    rooms: Mutex<HashMap<String, Room>>,
    next: AtomicU64,
}

/// A signalling message and the connection it came from.
type Signal = (u64, String);

/// What joining a room gives: the connection id, the room's sender and a receiver, and how many
/// other participants are connected.
struct Joined {
    me: u64,
    tx: broadcast::Sender<Signal>,
    rx: broadcast::Receiver<Signal>,
    others: usize,
}

struct Room {
    tx: broadcast::Sender<Signal>,
    members: HashMap<u64, String>,
    started: Option<DateTime<Utc>>,
    participants: Vec<String>,
}

impl CallHub {
    /// Joins a room.
    fn join(&self, room: &str, username: &str) -> Joined {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut rooms = self.rooms.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let r = rooms.entry(room.to_owned()).or_insert_with(|| Room {
            tx: broadcast::channel(256).0,
            members: HashMap::new(),
            started: None,
            participants: Vec::new(),
        });
        let others = r.members.len();
        r.members.insert(id, username.to_owned());
        if !r.participants.iter().any(|p| p == username) {
            r.participants.push(username.to_owned());
        }
        if r.members.len() >= 2 && r.started.is_none() {
            r.started = Some(Utc::now());
        }
        Joined {
            me: id,
            tx: r.tx.clone(),
            rx: r.tx.subscribe(),
            others,
        }
    }

    /// Leaves a room; returns a finished session (start, end, participants) when fewer than two remain.
    fn leave(&self, room: &str, id: u64) -> Option<(DateTime<Utc>, DateTime<Utc>, Vec<String>)> {
        let mut rooms = self.rooms.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let r = rooms.get_mut(room)?;
        r.members.remove(&id);
        let finished = if r.members.len() < 2 {
            r.started.take().map(|s| (s, Utc::now(), std::mem::take(&mut r.participants)))
        } else {
            None
        };
        if r.members.is_empty() {
            rooms.remove(room);
        }
        finished
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "call.html")]
struct CallPage {
    t: Tr,
    nav: Option<Nav>,
    id: String,
    question: String,
    ice_servers: String,
}

async fn call_page(State(state): State<AppState>, p: PageActor, Path(id): Path<String>) -> Response {
    match consultations::call_access(&state.app, &p.actor, &id).await {
        Ok(row) => CallPage {
            nav: Some(Nav::of(&p.actor, &p.t)),
            t: p.t,
            id: row.id,
            question: row.question,
            ice_servers: state.settings.ice_servers.clone(),
        }
        .into_response(),
        Err(e) => page_error(p.t, e),
    }
}

async fn call_ws(State(state): State<AppState>, p: PageActor, Path(id): Path<String>, ws: WebSocketUpgrade) -> Response {
    // Admission is decided before the upgrade: outsiders never reach the room.
    let row = match consultations::call_access(&state.app, &p.actor, &id).await {
        Ok(row) => row,
        Err(e) => return page_error(p.t, e),
    };
    let username = p.actor.username.clone();
    ws.on_upgrade(move |socket| relay(state, row, username, socket))
}

async fn relay(state: AppState, row: ConsultationRow, username: String, mut socket: WebSocket) {
    let Joined { me, tx, mut rx, others } = state.calls.join(&row.id, &username);
    let _ = socket
        .send(Message::Text(format!("{{\"type\":\"welcome\",\"peers\":{others}}}").into()))
        .await;
    let _ = tx.send((me, "{\"type\":\"peer-joined\"}".to_owned()));
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) if text.len() <= 64 * 1024 => {
                    let _ = tx.send((me, text.to_string()));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                    let _ = socket.send(Message::Text("{\"type\":\"error\",\"message\":\"signalling messages are JSON text up to 64 KiB\"}".into())).await;
                }
                _ => break,
            },
            relayed = rx.recv() => match relayed {
                Ok((from, text)) if from != me => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    let _ = tx.send((me, "{\"type\":\"peer-left\"}".to_owned()));
    if let Some((started, ended, participants)) = state.calls.leave(&row.id, me)
        && let Err(e) = consultations::record_call(&state.app, &row, started, ended, &participants).await
    {
        tracing::error!(error = %e, "recording a call session failed");
    }
}
