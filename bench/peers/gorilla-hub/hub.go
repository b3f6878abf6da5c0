// A room-aware version of the hub in gorilla/websocket's examples/chat: one goroutine owns
// every room and its members; clients talk to it only through channels.
package main

// outbound is one message for every member of a room, sender included.
type outbound struct {
	room        string
	messageType int
	data        []byte
}

// Hub owns the rooms. Only run() touches rooms; everyone else sends on the channels.
type Hub struct {
	rooms      map[string]map[*Client]bool // room -> members; a room is deleted when empty
	broadcast  chan outbound
	register   chan *Client
	unregister chan *Client
}

func newHub() *Hub {
	return &Hub{
		rooms:      make(map[string]map[*Client]bool),
		broadcast:  make(chan outbound),
		register:   make(chan *Client),
		unregister: make(chan *Client),
	}
}

func (h *Hub) remove(c *Client) {
	members := h.rooms[c.room]
	if _, ok := members[c]; !ok {
		return
	}
	delete(members, c)
	close(c.send)
	if len(members) == 0 {
		delete(h.rooms, c.room)
	}
}

func (h *Hub) run() {
	for {
		select {
		case c := <-h.register:
			members := h.rooms[c.room]
			if members == nil {
				members = make(map[*Client]bool)
				h.rooms[c.room] = members
			}
			members[c] = true
		case c := <-h.unregister:
			h.remove(c)
		case m := <-h.broadcast:
			for c := range h.rooms[m.room] {
				select {
				case c.send <- m:
				default:
					// As in the example: a member whose send channel is full is dropped
					// rather than slowing the room. Closing send ends its writePump.
					h.remove(c)
				}
			}
		}
	}
}
