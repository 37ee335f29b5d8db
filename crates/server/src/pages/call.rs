//! Video calls of synchronous consultations (远程视频会诊): the call page and the WebSocket that
//! relays WebRTC signalling (offer, answer, ICE candidates) between the participants of one room.
//! Media flows browser to browser in a mesh (one peer connection per pair: the two parties and
//! any invited guests); sanyi only admits participants, addresses each signalling message to the
//! peer it names (`to`, stamped with the sender's `from`), and records the session (start when two
//! are connected, end when fewer than two remain) for billing.

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
use sanyi_app::consultations::ConsultationRow;

use super::{Nav, PageActor};
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

/// A signalling message: the connection it came from, the one it is for (all when `None`) and
/// its JSON text.
#[derive(Clone)]
struct Signal {
    from: u64,
    to: Option<u64>,
    text: String,
}

/// What joining a room gives: the connection id, the room's sender and a receiver, and the
/// participants already connected (connection id, username).
struct Joined {
    me: u64,
    tx: broadcast::Sender<Signal>,
    rx: broadcast::Receiver<Signal>,
    others: Vec<(u64, String)>,
}

struct Room {
    tx: broadcast::Sender<Signal>,
    /// Connected participants: connection id → display name.
    members: HashMap<u64, String>,
    started: Option<DateTime<Utc>>,
    participants: Vec<String>,
}

impl CallHub {
    /// Joins a room as `username` (recorded for billing), shown to the others as `display`.
    fn join(&self, room: &str, username: &str, display: &str) -> Joined {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut rooms = self.rooms.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let r = rooms.entry(room.to_owned()).or_insert_with(|| Room {
            tx: broadcast::channel(256).0,
            members: HashMap::new(),
            started: None,
            participants: Vec::new(),
        });
        let others: Vec<(u64, String)> = r.members.iter().map(|(id, name)| (*id, name.clone())).collect();
        r.members.insert(id, display.to_owned());
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
    nonce: String,
}

async fn call_page(
    State(state): State<AppState>,
    p: PageActor,
    Path(id): Path<String>,
    nonce: Option<axum::Extension<crate::guard::CspNonce>>,
) -> Response {
    match consultations::call_access(&state.app, &p.actor, &id).await {
        Ok(row) => CallPage {
            nav: Some(Nav::of(&p.actor, &p.t)),
            t: p.t,
            id: row.id,
            question: row.question,
            ice_servers: state.settings.ice_servers.clone(),
            nonce: nonce.map(|n| n.0.0).unwrap_or_default(),
        }
        .into_response(),
        Err(e) => p.error(e),
    }
}

async fn call_ws(State(state): State<AppState>, p: PageActor, Path(id): Path<String>, ws: WebSocketUpgrade) -> Response {
    // Admission is decided before the upgrade: outsiders never reach the room.
    let row = match consultations::call_access(&state.app, &p.actor, &id).await {
        Ok(row) => row,
        Err(e) => return p.error(e),
    };
    let (username, display) = (p.actor.username.clone(), p.actor.display_name.clone());
    ws.on_upgrade(move |socket| relay(state, row, username, display, socket))
}

/// Stamps a client's signalling message with its sender and reads whom it is for; `None` for
/// anything but a JSON object.
fn addressed(text: &str, from: u64) -> Option<(Option<u64>, String)> {
    let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
    let object = v.as_object_mut()?;
    let to = object.get("to").and_then(serde_json::Value::as_u64);
    object.insert("from".into(), from.into());
    Some((to, v.to_string()))
}

async fn relay(state: AppState, row: ConsultationRow, username: String, display: String, mut socket: WebSocket) {
    let Joined { me, tx, mut rx, others } = state.calls.join(&row.id, &username, &display);
    let peers: Vec<serde_json::Value> = others
        .iter()
        .map(|(id, name)| serde_json::json!({"id": id, "name": name}))
        .collect();
    let welcome = serde_json::json!({"type": "welcome", "id": me, "peers": peers});
    let _ = socket.send(Message::Text(welcome.to_string().into())).await;
    let joined = serde_json::json!({"type": "peer-joined", "from": me, "name": display});
    let _ = tx.send(Signal {
        from: me,
        to: None,
        text: joined.to_string(),
    });
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) if text.len() <= 64 * 1024 => match addressed(&text, me) {
                    Some((to, text)) => {
                        let _ = tx.send(Signal { from: me, to, text });
                    }
                    None => {
                        let _ = socket.send(Message::Text("{\"type\":\"error\",\"message\":\"signalling messages are JSON objects\"}".into())).await;
                    }
                },
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                    let _ = socket.send(Message::Text("{\"type\":\"error\",\"message\":\"signalling messages are JSON text up to 64 KiB\"}".into())).await;
                }
                _ => break,
            },
            relayed = rx.recv() => match relayed {
                Ok(signal) if signal.from != me && signal.to.is_none_or(|to| to == me) => {
                    if socket.send(Message::Text(signal.text.into())).await.is_err() {
                        break;
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    let left = serde_json::json!({"type": "peer-left", "from": me});
    let _ = tx.send(Signal {
        from: me,
        to: None,
        text: left.to_string(),
    });
    if let Some((started, ended, participants)) = state.calls.leave(&row.id, me)
        && let Err(e) = consultations::record_call(&state.app, &row, started, ended, &participants).await
    {
        tracing::error!(error = %e, "recording a call session failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signalling_messages_are_stamped_and_addressed() {
        let (to, text) = addressed(r#"{"type":"offer","to":7,"sdp":{}}"#, 3).unwrap();
        assert_eq!(to, Some(7));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!((v["from"].as_u64(), v["type"].as_str()), (Some(3), Some("offer")));
        // A forged sender is overwritten.
        let (_, text) = addressed(r#"{"type":"candidate","from":99}"#, 3).unwrap();
        assert!(text.contains(r#""from":3"#), "{text}");
        assert_eq!(addressed(r#"{"type":"x"}"#, 1).unwrap().0, None, "no `to`: everyone");
        assert!(addressed("[1,2]", 1).is_none() && addressed("not json", 1).is_none());
    }

    #[test]
    fn a_room_starts_a_session_with_two_and_ends_it_below_two() {
        let hub = CallHub::default();
        let a = hub.join("c1", "doctor", "卫生院医生");
        let b = hub.join("c1", "expert", "专家");
        assert_eq!((a.others.len(), b.others), (0, vec![(a.me, "卫生院医生".to_owned())]));
        let g = hub.join("c1", "guest", "乡村医生");
        assert_eq!(g.others.len(), 2);
        assert!(hub.leave("c1", g.me).is_none(), "two remain");
        let (_, _, who) = hub.leave("c1", a.me).expect("one remains: the session ends");
        assert_eq!(who, vec!["doctor", "expert", "guest"]);
        assert!(hub.leave("c1", b.me).is_none());
    }
}
