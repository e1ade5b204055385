package dev.securedelivery.waiting;

/** The contract for one node's list in memory. */
class InMemoryWaitingListTest extends WaitingListContract {
    private InMemoryWaitingList list;

    @Override
    protected WaitingList open() {
        if (list == null) {
            list = new InMemoryWaitingList();
        }
        return list;
    }
}
