package io.praas.process.invocation;

import io.praas.client.PraasException;
import io.praas.codec.KryoCodec;
import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.function.FunctionName;
import io.praas.process.function.FunctionRegistry;
import io.praas.process.session.Session;
import io.praas.process.session.SessionRegistry;
import io.praas.process.state.KeyValueStore;
import io.praas.process.state.StateBudget;
import io.praas.protocol.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class InvokerTest {
    private static final long LONG_TIMEOUT_MS = 30_000;
    private static final long STATE_LIMIT = 4096;

    // ---- Functions under invocation: one behaviour each, wired to the test through their fields.

    static final class Upper implements Function<String, String> {
        @Override
        public String handle(String input, Context context) {
            return input.toUpperCase(Locale.ROOT);
        }
    }

    /** Signals that it runs, then waits for the test to release it. */
    @FunctionName("block")
    static final class Block implements Function<String, String> {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public String handle(String input, Context context) throws Exception {
            started.countDown();
            if (!release.await(LONG_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("never released");
            }
            return "released " + input;
        }
    }

    /** Waits until interrupted and records that it was. */
    @FunctionName("stuck")
    static final class Stuck implements Function<String, String> {
        final CountDownLatch interrupted = new CountDownLatch(1);

        @Override
        public String handle(String input, Context context) throws Exception {
            try {
                new CountDownLatch(1).await(LONG_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                return "not interrupted";
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
        }
    }

    @FunctionName("count")
    static final class Count implements Function<String, String> {
        final AtomicInteger runs = new AtomicInteger();

        @Override
        public String handle(String input, Context context) {
            runs.incrementAndGet();
            return input;
        }
    }

    @FunctionName("fail")
    static final class Fail implements Function<String, String> {
        @Override
        public String handle(String input, Context context) {
            throw new IllegalStateException("out of " + input);
        }
    }

    /** Stores its input's length in bytes in the process state. */
    @FunctionName("hoard")
    static final class Hoard implements Function<Integer, Void> {
        @Override
        public Void handle(Integer bytes, Context context) {
            context.processState().putBytes("hoard", new byte[bytes]);
            return null;
        }
    }

    public record Point(int x, int y) {
    }

    @FunctionName("sum")
    static final class Sum implements Function<Point, Integer> {
        @Override
        public Integer handle(Point p, Context context) {
            return p.x() + p.y();
        }
    }

    /** Calls "upper" of its own process and waits for it. */
    @FunctionName("outer")
    static final class Outer implements Function<String, String> {
        @Override
        public String handle(String input, Context context) throws Exception {
            byte[] upper = context.invoke("upper", input.getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            return "outer(" + new String(upper, StandardCharsets.UTF_8) + ")";
        }
    }

    /** Calls itself until a call fails; records how many ran and the failure. */
    @FunctionName("recurse")
    static final class Recurse implements Function<String, String> {
        final AtomicInteger runs = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        @Override
        public String handle(String input, Context context) throws Exception {
            runs.incrementAndGet();
            try {
                context.invoke("recurse", new byte[0]).get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                failure.compareAndSet(null, e.getCause());
            }
            return "";
        }
    }

    /** Appends its input to a list, tracking how many of it run at once. */
    @FunctionName("append")
    static final class Append implements Function<String, Void> {
        final List<String> appended = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();

        @Override
        public Void handle(String input, Context context) {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            appended.add(input);
            Thread.yield();
            running.decrementAndGet();
            return null;
        }
    }

    @FunctionName("describe")
    static final class Describe implements Function<String, String> {
        @Override
        public String handle(String input, Context context) {
            return context.processId() + "/" + context.application() + "/" + context.sessionId().orElse("-");
        }
    }

    /** Asks for the session state, records what it got or what it threw. */
    @FunctionName("sessionProbe")
    static final class SessionProbe implements Function<String, Void> {
        final AtomicReference<Object> seen = new AtomicReference<>();

        @Override
        public Void handle(String input, Context context) {
            try {
                seen.set(context.sessionState());
            } catch (RuntimeException e) {
                seen.set(e);
            }
            return null;
        }
    }

    /** Calls "upper" of the process named by its input; answers the result or the failure's class. */
    @FunctionName("callProcess")
    static final class CallProcess implements Function<String, String> {
        @Override
        public String handle(String processId, Context context) throws Exception {
            try {
                return new String(context.invoke(processId, "upper", utf8("hi")).get(10, TimeUnit.SECONDS),
                        StandardCharsets.UTF_8);
            } catch (ExecutionException e) {
                return e.getCause() instanceof io.praas.client.PraasException pe ? pe.code().name()
                        : e.getCause().getClass().getSimpleName();
            }
        }
    }

    @FunctionName("remaining")
    static final class Remaining implements Function<String, Long> {
        @Override
        public Long handle(String input, Context context) {
            return context.remainingTime().toMillis();
        }
    }

    /** Ignores interrupts until the test releases it, as a function blocked in uninterruptible I/O. */
    @FunctionName("deaf")
    static final class Deaf implements Function<String, String> {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger running = new AtomicInteger();

        @Override
        public String handle(String input, Context context) {
            running.incrementAndGet();
            started.countDown();
            try {
                while (true) {
                    try {
                        if (release.await(LONG_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                            return "deaf";
                        }
                    } catch (InterruptedException ignored) {
                        // deaf to it
                    }
                }
            } finally {
                running.decrementAndGet();
            }
        }
    }

    /** Calls "deaf" of its own process and waits for it (until its own timeout interrupts it). */
    @FunctionName("callDeaf")
    static final class CallDeaf implements Function<String, String> {
        @Override
        public String handle(String input, Context context) throws Exception {
            return new String(context.invoke("deaf", new byte[0]).get(), StandardCharsets.UTF_8);
        }
    }

    /** Calls "upper", then, when that completes, "deaf"; returns without waiting for either. */
    @FunctionName("chainDeaf")
    static final class ChainDeaf implements Function<String, String> {
        @Override
        public String handle(String input, Context context) {
            context.invoke("upper", utf8("x")).thenCompose(x -> context.invoke("deaf", new byte[0]));
            return "chained";
        }
    }

    private final Deaf deaf = new Deaf();
    private final Block block = new Block();
    private final Stuck stuck = new Stuck();
    private final Count count = new Count();
    private final Recurse recurse = new Recurse();
    private final Append append = new Append();
    private final SessionProbe sessionProbe = new SessionProbe();

    private final KryoCodec kryo = new KryoCodec(getClass().getClassLoader());
    private final StateBudget budget = new StateBudget(STATE_LIMIT);
    private final KeyValueStore processState = new KeyValueStore(budget, kryo);
    private final SessionRegistry sessions = new SessionRegistry(budget, kryo, 16);
    private final FunctionRegistry functions = FunctionRegistry.of(getClass().getClassLoader(), "test", List.of(
            new Upper(), block, stuck, count, new Fail(), new Hoard(), new Sum(), new Outer(), recurse, append,
            new Describe(), sessionProbe, new CallProcess(), new Remaining(), deaf, new CallDeaf(),
            new DeafRunning(deaf), new ChainDeaf()));
    private final List<Invoker> invokers = new ArrayList<>();

    /** Answers how many "deaf" calls run as it starts. */
    @FunctionName("deafRunning")
    static final class DeafRunning implements Function<String, Integer> {
        private final Deaf deaf;

        DeafRunning(Deaf deaf) {
            this.deaf = deaf;
        }

        @Override
        public Integer handle(String input, Context context) {
            return deaf.running.get();
        }
    }

    @AfterEach
    void closeInvokers() {
        block.release.countDown();
        deaf.release.countDown();
        invokers.forEach(Invoker::close);
    }

    private Invoker invoker(int workers, int queueCapacity, int maxNestingDepth) {
        Invoker invoker = new Invoker(functions, "p-1", "shop", processState, workers, queueCapacity, maxNestingDepth);
        invokers.add(invoker);
        return invoker;
    }

    private Invoker invoker() {
        return invoker(4, 16, 8);
    }

    @Test
    void invocationsThatTimeOutQueuedBehindAStuckSessionGiveTheirSlotsBack() throws Exception {
        Invoker invoker = invoker(4, 4, 8); // 8 slots
        Session s = sessions.open("stuck-behind").session();
        CompletableFuture<byte[]> first = invoker.submit("deaf", s, utf8(""), 100);
        assertThat(deaf.started.await(5, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<byte[]>> queued = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            queued.add(invoker.submit("count", s, utf8("q" + i), 100));
        }
        for (CompletableFuture<byte[]> q : queued) {
            assertThat(failureOf(q).code()).isEqualTo(ErrorCode.TIMEOUT);
        }
        assertThat(failureOf(first).code()).isEqualTo(ErrorCode.TIMEOUT);

        // Only the invocation that still runs holds a slot: the others serve sessionless callers.
        awaitTrue(() -> invoker.inFlight() == 1);
        assertThat(text(invoker.submit("upper", null, utf8("free"), LONG_TIMEOUT_MS))).isEqualTo("FREE");
        deaf.release.countDown();
        awaitTrue(() -> invoker.inFlight() == 0);
        assertThat(count.runs.get()).isZero(); // the queued ones never ran
    }

    @Test
    void aSessionsNextInvocationWaitsForNestedCallsThatOutliveTheirCaller() throws Exception {
        Invoker invoker = invoker();
        Session s = sessions.open("nesting").session();
        CompletableFuture<byte[]> caller = invoker.submit("callDeaf", s, utf8(""), 200);
        assertThat(deaf.started.await(5, TimeUnit.SECONDS)).isTrue();
        // The caller ends at its deadline (its wait for the callee fails); the callee does not.
        assertThat(failureOf(caller).code()).isIn(ErrorCode.TIMEOUT, ErrorCode.FUNCTION_FAILED);

        CompletableFuture<byte[]> next = invoker.submit("deafRunning", s, utf8(""), LONG_TIMEOUT_MS);
        assertThatThrownBy(() -> next.get(300, TimeUnit.MILLISECONDS)) // it waits while the callee runs
                .isInstanceOf(java.util.concurrent.TimeoutException.class);
        deaf.release.countDown();

        assertThat(text(next)).isEqualTo("0"); // it ran after the callee, never beside it
    }

    @Test
    void aSessionsNextInvocationWaitsForANestedCallMadeWhenAnEarlierOneCompleted() throws Exception {
        Invoker invoker = invoker();
        Session s = sessions.open("chaining").session();
        assertThat(text(invoker.submit("chainDeaf", s, utf8(""), LONG_TIMEOUT_MS))).isEqualTo("chained");
        assertThat(deaf.started.await(5, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<byte[]> next = invoker.submit("deafRunning", s, utf8(""), LONG_TIMEOUT_MS);
        assertThatThrownBy(() -> next.get(300, TimeUnit.MILLISECONDS))
                .isInstanceOf(java.util.concurrent.TimeoutException.class);
        deaf.release.countDown();

        assertThat(text(next)).isEqualTo("0");
    }

    @Test
    void aSubmitRefusedAsTheProcessStopsGivesItsSlotBackOnce() throws Exception {
        Invoker invoker = invoker(1, 1, 8);
        invoker.close();

        assertThatThrownBy(() -> invoker.submit("upper", null, utf8("late"), 50))
                .isInstanceOfSatisfying(InvocationException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE));
        Thread.sleep(300); // past its deadline, whose expiry must give nothing back again

        assertThat(invoker.inFlight()).isZero();
    }

    @Test
    void aSimpleFunctionAnswersWithItsEncodedResult() throws Exception {
        CompletableFuture<byte[]> result = invoker().submit("upper", null, utf8("hello"), LONG_TIMEOUT_MS);

        assertThat(text(result)).isEqualTo("HELLO");
    }

    @Test
    void jsonInputAndOutputAreDecodedAndEncoded() throws Exception {
        CompletableFuture<byte[]> result = invoker().submit("sum", null, utf8("{\"x\":2,\"y\":3}"), LONG_TIMEOUT_MS);

        assertThat(text(result)).isEqualTo("5");
    }

    @Test
    void anUnknownFunctionIsRefusedSynchronously() {
        Invoker invoker = invoker();

        assertThatThrownBy(() -> invoker.submit("nope", null, new byte[0], LONG_TIMEOUT_MS))
                .isInstanceOfSatisfying(InvocationException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_FUNCTION);
                    assertThat(e.getMessage()).contains("nope", "shop");
                });
        assertThat(invoker.inFlight()).isZero();
    }

    @Test
    void anInvocationBeyondWorkersAndQueueIsRefusedWithOverloaded() throws Exception {
        Invoker invoker = invoker(1, 1, 8);
        CompletableFuture<byte[]> running = invoker.submit("block", null, utf8("1"), LONG_TIMEOUT_MS);
        assertThat(block.started.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<byte[]> queued = invoker.submit("count", null, utf8("2"), LONG_TIMEOUT_MS);

        assertThatThrownBy(() -> invoker.submit("count", null, utf8("3"), LONG_TIMEOUT_MS))
                .isInstanceOfSatisfying(InvocationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED));
        assertThat(invoker.inFlight()).isEqualTo(2);

        block.release.countDown();
        assertThat(text(running)).isEqualTo("released 1");
        assertThat(text(queued)).isEqualTo("2");
        assertThat(count.runs.get()).isEqualTo(1);
    }

    @Test
    void aSlotFreedByAFinishedInvocationAdmitsTheNextOne() throws Exception {
        Invoker invoker = invoker(1, 0, 8);
        text(invoker.submit("upper", null, utf8("a"), LONG_TIMEOUT_MS));
        awaitTrue(() -> invoker.inFlight() == 0);

        assertThat(text(invoker.submit("upper", null, utf8("b"), LONG_TIMEOUT_MS))).isEqualTo("B");
    }

    @Test
    void aRunningInvocationPastItsTimeoutAnswersTimeout() {
        CompletableFuture<byte[]> result = invoker().submit("stuck", null, utf8(""), 100);

        InvocationException e = failureOf(result);
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
    }

    @Test
    void aRunningInvocationPastItsTimeoutIsInterrupted() throws Exception {
        Invoker invoker = invoker();
        CompletableFuture<byte[]> result = invoker.submit("stuck", null, utf8(""), 100);
        failureOf(result);

        assertThat(stuck.interrupted.await(5, TimeUnit.SECONDS)).isTrue();
        awaitTrue(() -> invoker.inFlight() == 0);
    }

    @Test
    void aQueuedInvocationThatTimesOutNeverRuns() throws Exception {
        Invoker invoker = invoker(1, 1, 8);
        CompletableFuture<byte[]> running = invoker.submit("block", null, utf8("1"), LONG_TIMEOUT_MS);
        assertThat(block.started.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<byte[]> queued = invoker.submit("count", null, utf8("2"), 50);

        assertThat(failureOf(queued).code()).isEqualTo(ErrorCode.TIMEOUT);
        block.release.countDown();
        assertThat(text(running)).isEqualTo("released 1");
        awaitTrue(() -> invoker.inFlight() == 0);

        assertThat(count.runs.get()).isZero();
    }

    @Test
    void aThrowingFunctionAnswersFunctionFailedWithClassAndMessage() {
        InvocationException e = failureOf(invoker().submit("fail", null, utf8("coffee"), LONG_TIMEOUT_MS));

        assertThat(e.code()).isEqualTo(ErrorCode.FUNCTION_FAILED);
        assertThat(e.getMessage()).isEqualTo("java.lang.IllegalStateException: out of coffee");
    }

    @Test
    void aWriteOverTheStateLimitAnswersStateLimitExceeded() {
        InvocationException e = failureOf(invoker().submit("hoard", null, utf8(Long.toString(STATE_LIMIT)), LONG_TIMEOUT_MS));

        assertThat(e.code()).isEqualTo(ErrorCode.STATE_LIMIT_EXCEEDED);
        assertThat(processState.keys()).isEmpty();
        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void undecodableJsonInputAnswersInvalidArgument() {
        InvocationException e = failureOf(invoker().submit("sum", null, utf8("{not json"), LONG_TIMEOUT_MS));

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("sum");
    }

    @Test
    void aNestedInvocationCompletesWithASingleWorker() throws Exception {
        CompletableFuture<byte[]> result = invoker(1, 0, 8).submit("outer", null, utf8("inner"), LONG_TIMEOUT_MS);

        assertThat(text(result)).isEqualTo("outer(INNER)");
    }

    @Test
    void aNestedInvocationOfASessionCompletesWithASingleWorker() throws Exception {
        Session session = sessions.open("s-1").session();

        CompletableFuture<byte[]> result = invoker(1, 0, 8).submit("outer", session, utf8("inner"), LONG_TIMEOUT_MS);

        assertThat(text(result)).isEqualTo("outer(INNER)");
    }

    @Test
    void nestingDeeperThanTheMaximumFailsWithInvalidArgument() throws Exception {
        int maxNestingDepth = 3;

        text(invoker(1, 0, maxNestingDepth).submit("recurse", null, new byte[0], LONG_TIMEOUT_MS));

        assertThat(recurse.runs.get()).isEqualTo(maxNestingDepth + 1);
        assertThat(recurse.failure.get()).isInstanceOfSatisfying(PraasException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    /** Its input codec fails with an Error for input "boom" (as a length that asks for too much memory would). */
    @FunctionName("fragile")
    static final class Fragile implements Function<String, String> {
        @Override
        public io.praas.codec.Codec<String> inputCodec() {
            return new io.praas.codec.Codec<>() {
                @Override
                public byte[] encode(String value) {
                    return value.getBytes(StandardCharsets.UTF_8);
                }

                @Override
                public String decode(byte[] bytes) {
                    String s = new String(bytes, StandardCharsets.UTF_8);
                    if (s.equals("boom")) {
                        throw new OutOfMemoryError("Requested array size exceeds VM limit");
                    }
                    return s;
                }
            };
        }

        @Override
        public String handle(String input, Context context) {
            return "decoded " + input;
        }
    }

    @Test
    void anInputCodecThatFailsWithAnErrorIsAnsweredAndItsSessionServesOn() throws Exception {
        FunctionRegistry registry = FunctionRegistry.of(getClass().getClassLoader(), "test", List.of(new Fragile()));
        Invoker invoker = new Invoker(registry, "p-1", "shop", processState, 1, 4, 8);
        invokers.add(invoker);
        Session session = sessions.open("fragile-session").session();

        Throwable failed = catchThrowable(() -> invoker.submit("fragile", session, utf8("boom"), LONG_TIMEOUT_MS)
                .get(10, TimeUnit.SECONDS));
        assertThat(failed).isInstanceOf(ExecutionException.class).cause().isInstanceOfSatisfying(
                InvocationException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));

        CompletableFuture<byte[]> next = invoker.submit("fragile", session, utf8("fine"), LONG_TIMEOUT_MS);
        assertThat(new String(next.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("decoded fine");
        awaitTrue(() -> invoker.inFlight() == 0); // both slots given back (after their answers)
    }

    @Test
    void inputsPastTheirByteLimitAreOverloadedUntilTheOnesHeldEnd() throws Exception {
        Invoker invoker = new Invoker(functions, "p-1", "shop", processState, 1, 16, 8, 1000);
        invokers.add(invoker);
        CompletableFuture<byte[]> held = invoker.submit("block", null, new byte[600], LONG_TIMEOUT_MS);
        assertThat(block.started.await(10, TimeUnit.SECONDS)).isTrue();

        Throwable refused = catchThrowable(() -> invoker.submit("upper", null, new byte[600], LONG_TIMEOUT_MS));
        assertThat(refused).isInstanceOfSatisfying(InvocationException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED));
        CompletableFuture<byte[]> small = invoker.submit("upper", null, utf8("fits"), LONG_TIMEOUT_MS);

        block.release.countDown();
        held.get(10, TimeUnit.SECONDS);
        assertThat(text(small)).isEqualTo("FITS");
        awaitTrue(() -> invoker.inFlight() == 0);
        assertThat(text(invoker.submit("upper", null, new byte[900], LONG_TIMEOUT_MS))).hasSize(900);
    }

    @Test
    void aNestedInvocationOfAnUnknownFunctionFailsWithUnknownFunction() throws Exception {
        Function<String, String> callsNothing = new CallsMissing();
        FunctionRegistry registry = FunctionRegistry.of(getClass().getClassLoader(), "test", List.of(callsNothing));
        Invoker invoker = new Invoker(registry, "p-1", "shop", processState, 1, 0, 8);
        invokers.add(invoker);

        assertThat(text(invoker.submit("callsMissing", null, new byte[0], LONG_TIMEOUT_MS)))
                .isEqualTo(ErrorCode.UNKNOWN_FUNCTION.name());
    }

    static final class CallsMissing implements Function<String, String> {
        @Override
        public String handle(String input, Context context) throws Exception {
            try {
                context.invoke("missing", new byte[0]).get(10, TimeUnit.SECONDS);
                return "found";
            } catch (ExecutionException e) {
                return ((PraasException) e.getCause()).code().name();
            }
        }
    }

    @Test
    void aFunctionMayInvokeItsOwnProcessByItsId() throws Exception {
        assertThat(text(invoker().submit("callProcess", null, utf8("p-1"), LONG_TIMEOUT_MS))).isEqualTo("HI");
    }

    @Test
    void aFunctionMayInvokeItsOwnProcessAsSelf() throws Exception {
        assertThat(text(invoker().submit("callProcess", null, utf8(Context.SELF), LONG_TIMEOUT_MS))).isEqualTo("HI");
    }

    @Test
    void invokingAnotherProcessWithoutMessagingFailsAsUnavailable() throws Exception {
        // An invoker on its own has no peers (a process gives it its messaging: see MessagingTest).
        assertThat(text(invoker().submit("callProcess", null, utf8("p-2"), LONG_TIMEOUT_MS)))
                .isEqualTo("PROCESS_UNAVAILABLE");
    }

    @Test
    void remainingTimeIsWithinTheInvocationsTimeout() throws Exception {
        long remaining = Long.parseLong(text(invoker().submit("remaining", null, new byte[0], 60_000)));

        assertThat(remaining).isBetween(1L, 60_000L);
    }

    @Test
    void invocationsOfOneSessionRunOneAtATimeInOrder() throws Exception {
        Invoker invoker = invoker(8, 64, 8);
        Session session = sessions.open("s-1").session();
        List<CompletableFuture<byte[]>> results = new ArrayList<>();

        for (int i = 0; i < 50; i++) {
            results.add(invoker.submit("append", session, utf8(Integer.toString(i)), LONG_TIMEOUT_MS));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        assertThat(append.maxRunning.get()).isEqualTo(1);
        assertThat(append.appended).containsExactlyElementsOf(
                IntStream.range(0, 50).mapToObj(Integer::toString).toList());
    }

    @Test
    void theContextNamesProcessApplicationAndSession() throws Exception {
        Session session = sessions.open("s-1").session();

        String described = text(invoker().submit("describe", session, new byte[0], LONG_TIMEOUT_MS));

        assertThat(described).isEqualTo("p-1/shop/s-1");
    }

    @Test
    void theContextHasNoSessionIdWithoutASession() throws Exception {
        String described = text(invoker().submit("describe", null, new byte[0], LONG_TIMEOUT_MS));

        assertThat(described).isEqualTo("p-1/shop/-");
    }

    @Test
    void sessionStateWithoutASessionThrowsIllegalStateException() throws Exception {
        invoker().submit("sessionProbe", null, new byte[0], LONG_TIMEOUT_MS).get(10, TimeUnit.SECONDS);

        assertThat(sessionProbe.seen.get()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sessionStateIsTheSessionsStore() throws Exception {
        Session session = sessions.open("s-1").session();

        invoker().submit("sessionProbe", session, new byte[0], LONG_TIMEOUT_MS).get(10, TimeUnit.SECONDS);

        assertThat(sessionProbe.seen.get()).isSameAs(session.state());
    }

    @Test
    void anInvocationOfAClosedSessionAnswersSessionNotFound() {
        Session session = sessions.open("s-1").session();
        sessions.close("s-1");

        InvocationException e = failureOf(invoker().submit("upper", session, utf8("x"), LONG_TIMEOUT_MS));

        assertThat(e.code()).isEqualTo(ErrorCode.SESSION_NOT_FOUND);
    }

    @Test
    void inFlightReturnsToZeroOnceInvocationsFinish() throws Exception {
        Invoker invoker = invoker();
        List<CompletableFuture<byte[]>> results = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            results.add(invoker.submit("upper", null, utf8("x"), LONG_TIMEOUT_MS));
        }
        results.add(invoker.submit("fail", null, utf8("x"), LONG_TIMEOUT_MS));
        results.add(invoker.submit("sum", null, utf8("bad"), LONG_TIMEOUT_MS));

        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).handle((r, e) -> null).get(10, TimeUnit.SECONDS);

        awaitTrue(() -> invoker.inFlight() == 0);
        assertThat(invoker.inFlight()).isZero();
    }

    @Test
    void inFlightCountsAdmittedInvocations() throws Exception {
        Invoker invoker = invoker(1, 4, 8);
        invoker.submit("block", null, utf8("1"), LONG_TIMEOUT_MS);
        assertThat(block.started.await(5, TimeUnit.SECONDS)).isTrue();
        invoker.submit("count", null, utf8("2"), LONG_TIMEOUT_MS);

        assertThat(invoker.inFlight()).isEqualTo(2);
        assertThat(invoker.capacity()).isEqualTo(5);
    }

    // ---- helpers

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(CompletableFuture<byte[]> result) throws Exception {
        return new String(result.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    private static InvocationException failureOf(CompletableFuture<byte[]> result) {
        Throwable thrown = catchThrowable(() -> result.get(10, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class).cause().isInstanceOf(InvocationException.class);
        return (InvocationException) thrown.getCause();
    }

    /** Polls until {@code condition} holds, failing after a deadline. */
    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }
}
