package cache

// fifo is a doubly linked list in insertion order. Sessions and bindings
// live in one each; besides taking the head (find) and appending (save) we
// must unlink an element from anywhere in O(1), because an element in the
// middle of a list can time out before older ones when ttls differ.
type fifo[T any] struct {
	head, tail *node[T]
	n          int
}

type node[T any] struct {
	prev, next *node[T]
	val        T
}

func (l *fifo[T]) pushBack(v T) *node[T] {
	e := &node[T]{prev: l.tail, val: v}
	if l.tail != nil {
		l.tail.next = e
	} else {
		l.head = e
	}
	l.tail = e
	l.n++
	return e
}

func (l *fifo[T]) remove(e *node[T]) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
	l.n--
}
