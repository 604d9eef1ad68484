package io.praas.process.state;

/**
 * Where state and session changes are recorded before they are acknowledged (durability
 * "journal"); {@link #NONE} for durability "memory". Calls come from inside a store's per-key
 * update, so the journal's order per key is the store's order.
 */
public interface StateJournal {
    /** Records nothing. */
    StateJournal NONE = new StateJournal() {
        @Override
        public void put(String session, String key, byte[] value) {
        }

        @Override
        public void delete(String session, String key) {
        }

        @Override
        public void sessionOpened(String session) {
        }

        @Override
        public void sessionClosed(String session) {
        }
    };

    /** {@code key} of process state ({@code session} "") or of a session's state now holds {@code value}. */
    void put(String session, String key, byte[] value);

    void delete(String session, String key);

    void sessionOpened(String session);

    void sessionClosed(String session);
}
