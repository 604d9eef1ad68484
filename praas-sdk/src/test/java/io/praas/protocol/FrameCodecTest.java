package io.praas.protocol;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

/** The frame format and message bodies of PROTOCOL.md, as implemented by {@link FrameCodec}. */
class FrameCodecTest {

    private static final String NON_ASCII = "café – Grüße – 日本語 – 😀";
    private static final int ONE_MIB = 1024 * 1024;

    // ------------------------------------------------------------------------------------------
    // Helpers: frames built by hand, byte by byte, as PROTOCOL.md describes them
    // ------------------------------------------------------------------------------------------

    /** A whole frame: length (bytes after the field), version, type, flags, requestId, body. */
    static Buffer rawFrame(int version, int type, int flags, long requestId, Buffer body) {
        return Buffer.buffer()
                .appendInt(FrameCodec.MIN_LENGTH + body.length())
                .appendByte((byte) version)
                .appendByte((byte) type)
                .appendUnsignedShort(flags)
                .appendLong(requestId)
                .appendBuffer(body);
    }

    static Buffer rawFrame(int type, long requestId, Buffer body) {
        return rawFrame(FrameCodec.VERSION, type, 0, requestId, body);
    }

    static Buffer body() {
        return Buffer.buffer();
    }

    /** Appends a {@code str}: u16 byte length, then the UTF-8 bytes. */
    static Buffer str(Buffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        return b.appendUnsignedShort(bytes.length).appendBytes(bytes);
    }

    /** The same frame with one more byte after its last field (length field adjusted). */
    static Buffer withTrailingByte(Buffer frame) {
        Buffer longer = frame.copy().appendByte((byte) 0x2A);
        longer.setInt(0, longer.length() - FrameCodec.LENGTH_FIELD);
        return longer;
    }

    static Frame roundTrip(long requestId, Message message) {
        return FrameCodec.decode(FrameCodec.encode(requestId, message));
    }

    static ProtocolException decodeFailure(Buffer frame) {
        Throwable thrown = catchThrowable(() -> FrameCodec.decode(frame));
        assertThat(thrown).isInstanceOf(ProtocolException.class);
        return (ProtocolException) thrown;
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    // ------------------------------------------------------------------------------------------

    @Nested
    class RoundTrip {

        @Test
        void helloRoundTripsWithAllFields() {
            Message.Hello hello = new Message.Hello("shop", "praas1.c2hvcA.cC0x.1893456000.c2ln", "proc-7", "praas-java/0.1.0");

            Frame back = roundTrip(1, hello);

            assertThat(back.requestId()).isEqualTo(1);
            assertThat(back.flags()).isZero();
            assertThat(back.message()).isEqualTo(hello);
        }

        @Test
        void helloRoundTripsWithEmptyStrings() {
            Message.Hello hello = new Message.Hello("", "", "", "");

            assertThat(roundTrip(2, hello).message()).isEqualTo(hello);
        }

        @Test
        void helloRoundTripsWithNonAsciiStrings() {
            Message.Hello hello = new Message.Hello("boutique-été", "jeton-ü", "进程-1", NON_ASCII);

            assertThat(roundTrip(3, hello).message()).isEqualTo(hello);
        }

        @Test
        void registerRoundTripsWithAllFields() {
            Message.Register register = new Message.Register("shop", "p-1", "praas1.x.y.1.z", "127.0.0.1", 65535,
                    "praas-process/0.1");
            assertThat(roundTrip(9, register).message()).isEqualTo(register);
        }

        @Test
        void heartbeatRoundTripsItsCounters() {
            Message.Heartbeat beat = new Message.Heartbeat(Long.MAX_VALUE, 3, 1L << 40, 1_700_000_000_000L, 0);
            assertThat(roundTrip(0, beat).message()).isEqualTo(beat);
        }

        @Test
        void swapOutRoundTripsItsIdleCondition() {
            Message.SwapOut idle = new Message.SwapOut(7, 10_000, 1_700_000_000_123L);
            assertThat(roundTrip(4, idle).message()).isEqualTo(idle);
            assertThat(roundTrip(5, new Message.SwapOut(8, 0)).message()).isEqualTo(new Message.SwapOut(8, 0, 0));
        }

        @Test
        void heartbeatMissingACounterIsMalformed() {
            Buffer wire = FrameCodec.encode(5, new Message.Heartbeat(1, 2, 3, 4, 5));
            Buffer cut = wire.getBuffer(0, wire.length() - 8);
            cut.setInt(0, cut.length() - FrameCodec.LENGTH_FIELD);
            assertThatThrownBy(() -> FrameCodec.decode(cut))
                    .isInstanceOfSatisfying(ProtocolException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                        assertThat(e.requestId()).isEqualTo(5);
                    });
        }

        @Test
        void worldRoundTripsEveryEntry() {
            Message.World world = new Message.World(42, java.util.List.of(
                    new Message.WorldEntry("p-1", "ACTIVE", "10.0.0.7", 8000),
                    new Message.WorldEntry("p-2", "SWAPPED_OUT", "", 0),
                    new Message.WorldEntry("进程-3", "SWAPPING_IN", "::1", 65535)));
            assertThat(roundTrip(0, world).message()).isEqualTo(world);
        }

        @Test
        void emptyWorldRoundTrips() {
            Message.World world = new Message.World(1, java.util.List.of());
            assertThat(roundTrip(0, world).message()).isEqualTo(world);
        }

        @Test
        void worldWithFewerEntriesThanItsCountIsMalformed() {
            Buffer body = Buffer.buffer().appendLong(3).appendUnsignedShort(2);
            str(str(str(body, "p-1"), "ACTIVE"), "h").appendUnsignedShort(1);
            ProtocolException e = decodeFailure(rawFrame(MessageType.WORLD, 6, body));
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isEqualTo(6);
        }

        @Test
        void swappedRoundTripsWithAndWithoutAnInlineCopy() {
            byte[] inline = {0, 0, 0, 2, '{', '}', 7, 8, 9};
            Message.Swapped with = (Message.Swapped) roundTrip(7, new Message.Swapped(3, "a/p/3/manifest.json",
                    1057, 1024, 25, inline)).message();
            Message.Swapped without = (Message.Swapped) roundTrip(7, new Message.Swapped(4, "a/p/4/manifest.json",
                    9, 8, 7)).message();

            assertThat(with.generation()).isEqualTo(3);
            assertThat(with.manifestKey()).isEqualTo("a/p/3/manifest.json");
            assertThat(with.snapshotBytes()).isEqualTo(1057);
            assertThat(with.stateBytes()).isEqualTo(1024);
            assertThat(with.durationMs()).isEqualTo(25);
            assertThat(with.inline()).isEqualTo(inline);
            assertThat(without.generation()).isEqualTo(4);
            assertThat(without.durationMs()).isEqualTo(7);
            assertThat(without.inline()).isEmpty();
        }

        @Test
        void swapInRoundTrips() {
            assertThat(roundTrip(8, new Message.SwapIn("p-9")).message()).isEqualTo(new Message.SwapIn("p-9"));
        }

        @Test
        void welcomeRoundTrips() {
            Message.Welcome welcome = new Message.Welcome("proc-7", FrameCodec.DEFAULT_MAX_FRAME_BYTES, "praas-process/0.1.0");

            assertThat(roundTrip(4, welcome).message()).isEqualTo(welcome);
        }

        @Test
        void welcomeRoundTripsTheLargestU32MaxFrameBytes() {
            Message.Welcome welcome = new Message.Welcome("", 0xFFFF_FFFFL, "");

            assertThat(roundTrip(5, welcome).message()).isEqualTo(welcome);
        }

        @Test
        void okRoundTripsWithAnEmptyBody() {
            Buffer wire = FrameCodec.encode(6, new Message.Ok());

            assertThat(wire.length()).isEqualTo(FrameCodec.HEADER_BYTES);
            assertThat(FrameCodec.decode(wire).message()).isEqualTo(new Message.Ok());
        }

        @Test
        void openSessionRoundTripsWithASessionId() {
            Message.OpenSession open = new Message.OpenSession("cart-42");

            assertThat(roundTrip(7, open).message()).isEqualTo(open);
        }

        @Test
        void openSessionRoundTripsWithAnEmptySessionId() {
            Message.OpenSession open = new Message.OpenSession("");

            assertThat(roundTrip(8, open).message()).isEqualTo(open);
        }

        @Test
        void sessionRoundTripsResumed() {
            Message.SessionOpened session = new Message.SessionOpened("cart-42", true);

            assertThat(roundTrip(9, session).message()).isEqualTo(session);
        }

        @Test
        void sessionRoundTripsNotResumed() {
            Message.SessionOpened session = new Message.SessionOpened("7f3c9a1e-0c4b-4e0e-9d7a-1b2c3d4e5f60", false);

            assertThat(roundTrip(10, session).message()).isEqualTo(session);
        }

        @Test
        void closeSessionRoundTrips() {
            Message.CloseSession close = new Message.CloseSession("sessão-ñ");

            assertThat(roundTrip(11, close).message()).isEqualTo(close);
        }

        @Test
        void invokeRoundTripsWithPayload() {
            byte[] input = "{\"item\":\"book\",\"qty\":2}".getBytes(StandardCharsets.UTF_8);

            Frame back = roundTrip(12, new Message.Invoke("add-to-cart", "cart-42", 2_500, input));

            assertThat(back.message()).isInstanceOf(Message.Invoke.class);
            Message.Invoke invoke = (Message.Invoke) back.message();
            assertThat(invoke.function()).isEqualTo("add-to-cart");
            assertThat(invoke.sessionId()).isEqualTo("cart-42");
            assertThat(invoke.timeoutMs()).isEqualTo(2_500);
            assertThat(invoke.input()).isEqualTo(input);
        }

        @Test
        void invokeRoundTripsWithoutSessionTimeoutOrPayload() {
            Message.Invoke invoke = (Message.Invoke) roundTrip(13, new Message.Invoke("ping", "", 0, new byte[0])).message();

            assertThat(invoke.function()).isEqualTo("ping");
            assertThat(invoke.sessionId()).isEmpty();
            assertThat(invoke.timeoutMs()).isZero();
            assertThat(invoke.input()).isEmpty();
        }

        @Test
        void invokeRoundTripsWithAOneMebibytePayloadAndTheLargestTimeout() {
            byte[] input = randomBytes(ONE_MIB, 1);

            Message.Invoke invoke = (Message.Invoke) roundTrip(14, new Message.Invoke("resize", NON_ASCII, 0xFFFF_FFFFL, input)).message();

            assertThat(invoke.sessionId()).isEqualTo(NON_ASCII);
            assertThat(invoke.timeoutMs()).isEqualTo(0xFFFF_FFFFL);
            assertThat(invoke.input()).isEqualTo(input);
        }

        @Test
        void resultRoundTripsWithPayload() {
            byte[] output = {0, 1, 2, (byte) 0xFF, (byte) 0x80};

            Message.Result result = (Message.Result) roundTrip(15, new Message.Result(output)).message();

            assertThat(result.output()).containsExactly(output);
        }

        @Test
        void resultRoundTripsWithAnEmptyPayload() {
            Message.Result result = (Message.Result) roundTrip(16, new Message.Result(new byte[0])).message();

            assertThat(result.output()).isEmpty();
        }

        @Test
        void resultRoundTripsWithAOneMebibytePayload() {
            byte[] output = randomBytes(ONE_MIB, 2);

            Buffer wire = FrameCodec.encode(17, new Message.Result(output));
            Message.Result result = (Message.Result) FrameCodec.decode(wire).message();

            assertThat(wire.getInt(0)).isEqualTo(FrameCodec.MIN_LENGTH + ONE_MIB);
            assertThat(result.output()).isEqualTo(output);
        }

        @Test
        void pingRoundTripsWithEchoData() {
            Message.Ping ping = (Message.Ping) roundTrip(18, new Message.Ping(new byte[] {1, 2, 3, 4})).message();

            assertThat(ping.data()).containsExactly(1, 2, 3, 4);
        }

        @Test
        void pingRoundTripsWithNoData() {
            Message.Ping ping = (Message.Ping) roundTrip(0, new Message.Ping(new byte[0])).message();

            assertThat(ping.data()).isEmpty();
        }

        @Test
        void pongRoundTripsWithEchoData() {
            byte[] data = randomBytes(300, 3);

            Message.Pong pong = (Message.Pong) roundTrip(19, new Message.Pong(data)).message();

            assertThat(pong.data()).isEqualTo(data);
        }

        @Test
        void pongRoundTripsWithNoData() {
            Message.Pong pong = (Message.Pong) roundTrip(20, new Message.Pong(new byte[0])).message();

            assertThat(pong.data()).isEmpty();
        }

        @Test
        void peerMessageRoundTripsWithData() {
            byte[] data = "stock:-1".getBytes(StandardCharsets.UTF_8);

            Message.PeerMessage m = (Message.PeerMessage) roundTrip(21, new Message.PeerMessage("proc-3", "inventory/übersicht", data)).message();

            assertThat(m.fromProcess()).isEqualTo("proc-3");
            assertThat(m.key()).isEqualTo("inventory/übersicht");
            assertThat(m.data()).isEqualTo(data);
        }

        @Test
        void peerMessageRoundTripsWithEmptyStringsAndData() {
            Message.PeerMessage m = (Message.PeerMessage) roundTrip(0, new Message.PeerMessage("", "", new byte[0])).message();

            assertThat(m.fromProcess()).isEmpty();
            assertThat(m.key()).isEmpty();
            assertThat(m.data()).isEmpty();
        }

        @Test
        void peerMessageRoundTripsWithAOneMebibytePayload() {
            byte[] data = randomBytes(ONE_MIB, 4);

            Message.PeerMessage m = (Message.PeerMessage) roundTrip(22, new Message.PeerMessage("proc-3", "blob", data)).message();

            assertThat(m.data()).isEqualTo(data);
        }

        @ParameterizedTest
        @EnumSource(value = GoAwayReason.class, names = "UNKNOWN", mode = EnumSource.Mode.EXCLUDE)
        void goAwayRoundTripsEveryReason(GoAwayReason reason) {
            Message.GoAway goAway = new Message.GoAway(reason, "swapping to node-b – réessayez");

            assertThat(roundTrip(0, goAway).message()).isEqualTo(goAway);
        }

        @Test
        void goAwayRoundTripsWithAnEmptyDetail() {
            Message.GoAway goAway = new Message.GoAway(GoAwayReason.IDLE, "");

            assertThat(roundTrip(0, goAway).message()).isEqualTo(goAway);
        }

        @ParameterizedTest
        @EnumSource(value = ErrorCode.class, names = "UNKNOWN", mode = EnumSource.Mode.EXCLUDE)
        void errorRoundTripsEveryCode(ErrorCode code) {
            Message.Error error = new Message.Error(code, "java.lang.IllegalStateException: état invalide");

            assertThat(roundTrip(23, error).message()).isEqualTo(error);
        }

        @Test
        void errorRoundTripsWithAnEmptyMessage() {
            Message.Error error = new Message.Error(ErrorCode.TIMEOUT, "");

            assertThat(roundTrip(24, error).message()).isEqualTo(error);
        }

        @Test
        void stringOfExactly65535Utf8BytesRoundTrips() {
            String longest = "é".repeat(32_767) + "x";   // 2 * 32767 + 1 = 65535 bytes

            Message.Error error = new Message.Error(ErrorCode.FUNCTION_FAILED, longest);

            assertThat(roundTrip(25, error).message()).isEqualTo(error);
        }

        @Test
        void requestIdRoundTripsAllSixtyFourBits() {
            assertThat(roundTrip(0xFFFF_FFFF_FFFF_FFFFL, new Message.Ok()).requestId()).isEqualTo(-1L);
            assertThat(roundTrip(Long.MIN_VALUE, new Message.Ok()).requestId()).isEqualTo(Long.MIN_VALUE);
        }

        @Test
        void decodesAFrameSlicedOutOfALargerBuffer() {
            Buffer stream = Buffer.buffer()
                    .appendBytes(new byte[] {9, 9, 9})
                    .appendBuffer(FrameCodec.encode(77, new Message.OpenSession("s-1")));
            Buffer slice = stream.slice(3, stream.length());

            Frame back = FrameCodec.decode(slice);

            assertThat(back.requestId()).isEqualTo(77);
            assertThat(back.message()).isEqualTo(new Message.OpenSession("s-1"));
        }
    }

    @Nested
    class Layout {

        @Test
        void invokeFrameHasTheByteLayoutOfTheProtocolTable() {
            Buffer wire = FrameCodec.encode(0x0102_0304_0506_0708L, 0xABCD,
                    new Message.Invoke("echo", "", 1000, new byte[] {9, 8, 7}));

            assertThat(wire.getBytes()).containsExactly(
                    // offset 0, u32 length: bytes after this field = 12 + (2+4) + (2+0) + 4 + 3 = 27
                    0x00, 0x00, 0x00, 0x1B,
                    // offset 4, version
                    0x01,
                    // offset 5, type INVOKE
                    0x20,
                    // offset 6, u16 flags
                    0xAB, 0xCD,
                    // offset 8, u64 requestId
                    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                    // offset 16, body: str function "echo"
                    0x00, 0x04, 'e', 'c', 'h', 'o',
                    // str sessionId ""
                    0x00, 0x00,
                    // u32 timeoutMs 1000
                    0x00, 0x00, 0x03, 0xE8,
                    // bytes input
                    0x09, 0x08, 0x07);
        }

        @Test
        void lengthFieldIsBigEndianAndCountsTheBytesAfterIt() {
            Buffer wire = FrameCodec.encode(1, new Message.Ping(new byte[300]));

            assertThat(wire.length()).isEqualTo(4 + 12 + 300);
            assertThat(wire.getBytes(0, 4)).containsExactly(0x00, 0x00, 0x01, 0x38);   // 312
        }

        @Test
        void headerFieldsSitAtTheirProtocolOffsets() {
            Buffer wire = FrameCodec.encode(0x1122_3344_5566_7788L, 0x0102, new Message.Ok());

            assertThat(wire.getByte(4)).as("version at offset 4").isEqualTo((byte) 1);
            assertThat(wire.getByte(5)).as("type at offset 5").isEqualTo((byte) MessageType.OK);
            assertThat(wire.getBytes(6, 8)).as("flags u16 at offset 6").containsExactly(0x01, 0x02);
            assertThat(wire.getBytes(8, 16)).as("requestId u64 at offset 8")
                    .containsExactly(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88);
            assertThat(wire.length()).as("OK has an empty body starting at offset 16").isEqualTo(16);
        }

        @Test
        void helloBodyIsFourLengthPrefixedStrings() {
            Buffer wire = FrameCodec.encode(1, new Message.Hello("app", "t", "", "é"));

            assertThat(wire.getBytes(16, wire.length())).containsExactly(
                    0x00, 0x03, 'a', 'p', 'p',
                    0x00, 0x01, 't',
                    0x00, 0x00,
                    0x00, 0x02, 0xC3, 0xA9);
        }

        @Test
        void welcomeBodyIsStrU32Str() {
            Buffer wire = FrameCodec.encode(1, new Message.Welcome("p", 0x0100_0000L, "s"));

            assertThat(wire.getByte(5)).isEqualTo((byte) 0x02);
            assertThat(wire.getBytes(16, wire.length())).containsExactly(
                    0x00, 0x01, 'p',
                    0x01, 0x00, 0x00, 0x00,
                    0x00, 0x01, 's');
        }

        @Test
        void sessionBodyEndsWithAResumedByte() {
            assertThat(FrameCodec.encode(1, new Message.SessionOpened("s", true)).getBytes(16, 20))
                    .containsExactly(0x00, 0x01, 's', 0x01);
            assertThat(FrameCodec.encode(1, new Message.SessionOpened("s", false)).getBytes(16, 20))
                    .containsExactly(0x00, 0x01, 's', 0x00);
        }

        @Test
        void peerMessageBodyIsStrStrBytes() {
            Buffer wire = FrameCodec.encode(1, new Message.PeerMessage("a", "k", new byte[] {5, 6}));

            assertThat(wire.getByte(5)).isEqualTo((byte) 0x40);
            assertThat(wire.getBytes(16, wire.length())).containsExactly(0x00, 0x01, 'a', 0x00, 0x01, 'k', 5, 6);
        }

        @Test
        void goAwayBodyIsU16ReasonThenStrDetail() {
            Buffer wire = FrameCodec.encode(0, new Message.GoAway(GoAwayReason.OVERLOADED, "x"));

            assertThat(wire.getByte(5)).isEqualTo((byte) 0x7E);
            assertThat(wire.getBytes(16, wire.length())).containsExactly(0x00, 0x04, 0x00, 0x01, 'x');
        }

        @Test
        void errorBodyIsU16CodeThenStrMessage() {
            Buffer wire = FrameCodec.encode(9, new Message.Error(ErrorCode.SESSION_NOT_FOUND, "no"));

            assertThat(wire.getByte(5)).isEqualTo((byte) 0x7F);
            assertThat(wire.getBytes(16, wire.length())).containsExactly(0x00, 0x0E, 0x00, 0x02, 'n', 'o');
        }

        @Test
        void typeBytesMatchTheProtocolTable() {
            assertThat(new int[] {
                    new Message.Hello("", "", "", "").type(),
                    new Message.Welcome("", 0, "").type(),
                    new Message.Ok().type(),
                    new Message.OpenSession("").type(),
                    new Message.SessionOpened("", false).type(),
                    new Message.CloseSession("").type(),
                    new Message.Invoke("", "", 0, new byte[0]).type(),
                    new Message.Result(new byte[0]).type(),
                    new Message.Ping(new byte[0]).type(),
                    new Message.Pong(new byte[0]).type(),
                    new Message.PeerMessage("", "", new byte[0]).type(),
                    new Message.GoAway(GoAwayReason.IDLE, "").type(),
                    new Message.Error(ErrorCode.TIMEOUT, "").type()})
                    .containsExactly(0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x20, 0x21, 0x30, 0x31, 0x40, 0x7E, 0x7F);
        }

        @Test
        void errorCodesMatchTheProtocolTable() {
            assertThat(ErrorCode.MALFORMED_FRAME.code()).isEqualTo(1);
            assertThat(ErrorCode.UNSUPPORTED_VERSION.code()).isEqualTo(2);
            assertThat(ErrorCode.UNAUTHENTICATED.code()).isEqualTo(3);
            assertThat(ErrorCode.FORBIDDEN.code()).isEqualTo(4);
            assertThat(ErrorCode.FRAME_TOO_LARGE.code()).isEqualTo(5);
            assertThat(ErrorCode.HANDSHAKE_REQUIRED.code()).isEqualTo(6);
            assertThat(ErrorCode.UNKNOWN_TYPE.code()).isEqualTo(7);
            assertThat(ErrorCode.UNKNOWN_FUNCTION.code()).isEqualTo(10);
            assertThat(ErrorCode.FUNCTION_FAILED.code()).isEqualTo(11);
            assertThat(ErrorCode.TIMEOUT.code()).isEqualTo(12);
            assertThat(ErrorCode.OVERLOADED.code()).isEqualTo(13);
            assertThat(ErrorCode.SESSION_NOT_FOUND.code()).isEqualTo(14);
            assertThat(ErrorCode.PROCESS_UNAVAILABLE.code()).isEqualTo(15);
            assertThat(ErrorCode.DUPLICATE_REQUEST_ID.code()).isEqualTo(16);
            assertThat(ErrorCode.INVALID_ARGUMENT.code()).isEqualTo(17);
        }

        @Test
        void goAwayReasonsMatchTheProtocolTable() {
            assertThat(GoAwayReason.SWAPPING_OUT.code()).isEqualTo(1);
            assertThat(GoAwayReason.STOPPING.code()).isEqualTo(2);
            assertThat(GoAwayReason.IDLE.code()).isEqualTo(3);
            assertThat(GoAwayReason.OVERLOADED.code()).isEqualTo(4);
        }
    }

    @Nested
    class Flags {

        @Test
        void encodeWithoutFlagsWritesZero() {
            Buffer wire = FrameCodec.encode(1, new Message.Ok());

            assertThat(wire.getUnsignedShort(6)).isZero();
            assertThat(FrameCodec.decode(wire).flags()).isZero();
        }

        @Test
        void flagsArePreservedAsAnUnsignedSixteenBitValue() {
            Frame back = FrameCodec.decode(FrameCodec.encode(1, 0x8001, new Message.Ping(new byte[] {1})));

            assertThat(back.flags()).isEqualTo(0x8001);
        }

        @Test
        void unknownFlagBitsOnAHandBuiltFrameAreKeptAndDoNotStopDecoding() {
            Buffer wire = rawFrame(1, MessageType.OPEN_SESSION, 0xFFFF, 5, str(body(), "s"));

            Frame back = FrameCodec.decode(wire);

            assertThat(back.flags()).isEqualTo(0xFFFF);
            assertThat(back.message()).isEqualTo(new Message.OpenSession("s"));
        }
    }

    @Nested
    class RequestIdOf {

        @Test
        void readsTheRequestIdOfAWholeFrame() {
            assertThat(FrameCodec.requestIdOf(FrameCodec.encode(0x0102_0304_0506_0708L, new Message.Ok())))
                    .isEqualTo(0x0102_0304_0506_0708L);
        }

        @Test
        void readsTheRequestIdWithoutDecodingTheBody() {
            Buffer unknownType = rawFrame(1, 0x55, 0, 99, Buffer.buffer().appendBytes(new byte[] {1, 2, 3}));

            assertThat(FrameCodec.requestIdOf(unknownType)).isEqualTo(99);
        }

        @Test
        void isZeroForABufferShorterThanAHeader() {
            Buffer partial = FrameCodec.encode(42, new Message.Ok()).slice(0, 15);

            assertThat(FrameCodec.requestIdOf(partial)).isZero();
        }
    }

    @Nested
    class Malformed {

        static Stream<Arguments> bodiesMissingAField() {
            return Stream.of(
                    argumentSet("HELLO with half a u16 length", MessageType.HELLO,
                            body().appendByte((byte) 0)),
                    argumentSet("HELLO without clientInfo", MessageType.HELLO,
                            str(str(str(body(), "shop"), "token"), "")),
                    argumentSet("WELCOME with half of maxFrameBytes", MessageType.WELCOME,
                            str(body(), "proc-1").appendUnsignedShort(0x0100)),
                    argumentSet("WELCOME without serverInfo", MessageType.WELCOME,
                            str(body(), "proc-1").appendUnsignedInt(1024)),
                    argumentSet("OPEN_SESSION with an empty body", MessageType.OPEN_SESSION,
                            body()),
                    argumentSet("SESSION without resumed", MessageType.SESSION,
                            str(body(), "cart-42")),
                    argumentSet("CLOSE_SESSION with an empty body", MessageType.CLOSE_SESSION,
                            body()),
                    argumentSet("INVOKE without sessionId", MessageType.INVOKE,
                            str(body(), "echo")),
                    argumentSet("INVOKE with three bytes of timeoutMs", MessageType.INVOKE,
                            str(str(body(), "echo"), "").appendBytes(new byte[] {0, 0, 1})),
                    argumentSet("MESSAGE without key", MessageType.MESSAGE,
                            str(body(), "proc-3")),
                    argumentSet("GOAWAY with one byte of reason", MessageType.GOAWAY,
                            body().appendByte((byte) 0)),
                    argumentSet("GOAWAY without detail", MessageType.GOAWAY,
                            body().appendUnsignedShort(2)),
                    argumentSet("ERROR with an empty body", MessageType.ERROR,
                            body()),
                    argumentSet("ERROR without message", MessageType.ERROR,
                            body().appendUnsignedShort(14)),
                    argumentSet("WORLD without its count", MessageType.WORLD,
                            body().appendLong(1)),
                    argumentSet("WORLD entry without its port", MessageType.WORLD,
                            str(str(str(body().appendLong(1).appendUnsignedShort(1), "p"), "ACTIVE"), "h")),
                    argumentSet("SWAP_IN with an empty body", MessageType.SWAP_IN,
                            body()));
        }

        @ParameterizedTest
        @MethodSource("bodiesMissingAField")
        void bodyMissingAFieldIsMalformedWithTheFrameRequestIdAndNotFatal(int type, Buffer body) {
            ProtocolException e = decodeFailure(rawFrame(type, 4242, body));

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isEqualTo(4242);
            assertThat(e.fatal()).isFalse();
        }

        static Stream<Arguments> strsRunningPastTheFrameEnd() {
            Buffer tooLong = body().appendUnsignedShort(10).appendBytes("abc".getBytes(StandardCharsets.UTF_8));
            return Stream.of(
                    argumentSet("HELLO application", MessageType.HELLO, tooLong.copy()),
                    argumentSet("HELLO clientInfo", MessageType.HELLO,
                            str(str(str(body(), "a"), "b"), "c").appendBuffer(tooLong)),
                    argumentSet("WELCOME serverInfo", MessageType.WELCOME,
                            str(body(), "p").appendUnsignedInt(1024).appendBuffer(tooLong)),
                    argumentSet("OPEN_SESSION sessionId", MessageType.OPEN_SESSION, tooLong.copy()),
                    argumentSet("SESSION sessionId", MessageType.SESSION, tooLong.copy()),
                    argumentSet("CLOSE_SESSION sessionId", MessageType.CLOSE_SESSION, tooLong.copy()),
                    argumentSet("INVOKE function, length 0xFFFF", MessageType.INVOKE,
                            body().appendUnsignedShort(0xFFFF).appendBytes(new byte[100])),
                    argumentSet("INVOKE sessionId", MessageType.INVOKE, str(body(), "echo").appendBuffer(tooLong)),
                    argumentSet("MESSAGE key", MessageType.MESSAGE, str(body(), "proc-3").appendBuffer(tooLong)),
                    argumentSet("GOAWAY detail", MessageType.GOAWAY, body().appendUnsignedShort(1).appendBuffer(tooLong)),
                    argumentSet("ERROR message", MessageType.ERROR, body().appendUnsignedShort(11).appendBuffer(tooLong)));
        }

        @ParameterizedTest
        @MethodSource("strsRunningPastTheFrameEnd")
        void strWhoseLengthRunsPastTheFrameEndIsMalformed(int type, Buffer body) {
            ProtocolException e = decodeFailure(rawFrame(type, 31, body));

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isEqualTo(31);
            assertThat(e.fatal()).isFalse();
        }

        static Stream<Arguments> invalidUtf8() {
            return Stream.of(
                    argumentSet("lone continuation byte", new byte[] {(byte) 0x80}),
                    argumentSet("lead byte without continuation", new byte[] {(byte) 0xC3, 0x28}),
                    argumentSet("truncated 3-byte sequence", new byte[] {'a', (byte) 0xE2, (byte) 0x82}),
                    argumentSet("byte 0xFF", new byte[] {(byte) 0xFF}),
                    argumentSet("overlong encoding of '/'", new byte[] {(byte) 0xC0, (byte) 0xAF}),
                    argumentSet("encoded surrogate U+D800", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}),
                    argumentSet("code point above U+10FFFF", new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}));
        }

        @ParameterizedTest
        @MethodSource("invalidUtf8")
        void invalidUtf8InAStrIsMalformed(byte[] invalid) {
            Buffer body = str(body(), "shop").appendUnsignedShort(invalid.length).appendBytes(invalid);
            body = str(str(body, ""), "");

            ProtocolException e = decodeFailure(rawFrame(MessageType.HELLO, 8, body));

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isEqualTo(8);
            assertThat(e.fatal()).isFalse();
        }

        @Test
        void invalidUtf8InAStrBeforeAPayloadIsMalformed() {
            Buffer body = body().appendUnsignedShort(1).appendByte((byte) 0xFF);   // function
            body = str(body, "").appendUnsignedInt(0).appendBytes(new byte[] {(byte) 0xFF});   // valid: payloads are opaque

            ProtocolException e = decodeFailure(rawFrame(MessageType.INVOKE, 9, body));

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isEqualTo(9);
        }

        static Stream<Arguments> framesWithoutATrailingBytesField() {
            return Stream.of(
                    argumentSet("HELLO", new Message.Hello("shop", "t", "", "c")),
                    argumentSet("WELCOME", new Message.Welcome("p", 1024, "s")),
                    argumentSet("OK", new Message.Ok()),
                    argumentSet("OPEN_SESSION", new Message.OpenSession("s")),
                    argumentSet("SESSION", new Message.SessionOpened("s", true)),
                    argumentSet("CLOSE_SESSION", new Message.CloseSession("s")),
                    argumentSet("GOAWAY", new Message.GoAway(GoAwayReason.STOPPING, "bye")),
                    argumentSet("ERROR", new Message.Error(ErrorCode.OVERLOADED, "busy")),
                    argumentSet("WORLD", new Message.World(2, java.util.List.of(new Message.WorldEntry("p", "ACTIVE", "h", 1)))),
                    argumentSet("SWAP_IN", new Message.SwapIn("p")));
        }

        @ParameterizedTest
        @MethodSource("framesWithoutATrailingBytesField")
        void trailingBytesAfterTheLastFieldAreMalformed(Message message) {
            Buffer wire = withTrailingByte(FrameCodec.encode(55, message));

            ProtocolException e = decodeFailure(wire);

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isEqualTo(55);
            assertThat(e.fatal()).isFalse();
        }

        @Test
        void trailingBytesAreThePayloadOfATypeEndingInBytes() {
            Buffer wire = withTrailingByte(FrameCodec.encode(56, new Message.Invoke("f", "", 0, new byte[] {1})));

            Message.Invoke invoke = (Message.Invoke) FrameCodec.decode(wire).message();

            assertThat(invoke.input()).containsExactly(1, 0x2A);
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 2, 0xFF})
        void versionOtherThanOneIsUnsupportedWithTheFrameRequestId(int version) {
            Buffer wire = rawFrame(version, MessageType.OPEN_SESSION, 0, 777, str(body(), "s"));

            ProtocolException e = decodeFailure(wire);

            assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(e.requestId()).isEqualTo(777);
            assertThat(e.fatal()).isFalse();
        }

        @Test
        void versionIsCheckedBeforeTheBody() {
            Buffer wire = rawFrame(2, MessageType.HELLO, 0, 3, body().appendByte((byte) 1));

            assertThat(decodeFailure(wire).code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
        }

        @ParameterizedTest
        @ValueSource(ints = {0x00, 0x04, 0x55, 0x90, 0xBF, 0xC0, 0xFF})
        void unknownTypeIsReportedWithTheFrameRequestId(int type) {
            Buffer wire = rawFrame(1, type, 0, 0x7777_0000_0000_0001L, body().appendBytes(new byte[] {1, 2, 3}));

            ProtocolException e = decodeFailure(wire);

            assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TYPE);
            assertThat(e.requestId()).isEqualTo(0x7777_0000_0000_0001L);
            assertThat(e.fatal()).isFalse();
        }

        @Test
        void bufferShorterThanAHeaderIsFatalMalformedWithRequestIdZero() {
            ProtocolException e = decodeFailure(Buffer.buffer().appendInt(11).appendByte((byte) 1).appendByte((byte) 3));

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isZero();
            assertThat(e.fatal()).isTrue();
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 8, 9, 20, 255, 256, 999, 0xFFFF})
        void unknownErrorCodeDecodesToUnknown(int code) {
            Buffer wire = rawFrame(MessageType.ERROR, 12, str(body().appendUnsignedShort(code), "from the future"));

            assertThat(FrameCodec.decode(wire).message())
                    .isEqualTo(new Message.Error(ErrorCode.UNKNOWN, "from the future"));
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 5, 99, 0xFFFF})
        void unknownGoAwayReasonDecodesToUnknown(int reason) {
            Buffer wire = rawFrame(MessageType.GOAWAY, 0, str(body().appendUnsignedShort(reason), "later"));

            assertThat(FrameCodec.decode(wire).message())
                    .isEqualTo(new Message.GoAway(GoAwayReason.UNKNOWN, "later"));
        }

        @Test
        void nonZeroResumedByteMeansResumed() {
            Buffer wire = rawFrame(MessageType.SESSION, 1, str(body(), "s").appendByte((byte) 0x7F));

            assertThat(FrameCodec.decode(wire).message()).isEqualTo(new Message.SessionOpened("s", true));
        }
    }

    @Nested
    class EncodingLimits {

        @Test
        void encodingAStringOfMoreThan65535Utf8BytesThrows() {
            String tooLong = "x".repeat(65_536);

            assertThatIllegalArgumentException()
                    .isThrownBy(() -> FrameCodec.encode(1, new Message.OpenSession(tooLong)));
        }

        @Test
        void stringLimitCountsUtf8BytesNotChars() {
            String euros = "€".repeat(21_846);   // 21846 chars, 3 bytes each = 65538 bytes

            assertThatIllegalArgumentException()
                    .isThrownBy(() -> FrameCodec.encode(1, new Message.Invoke(euros, "", 0, new byte[0])));
        }

        @Test
        void everyStrFieldIsLimited() {
            String tooLong = "é".repeat(32_768);   // 65536 bytes

            assertThatIllegalArgumentException().isThrownBy(() -> FrameCodec.encode(1, new Message.Hello("", "", "", tooLong)));
            assertThatIllegalArgumentException().isThrownBy(() -> FrameCodec.encode(1, new Message.Welcome("", 0, tooLong)));
            assertThatIllegalArgumentException().isThrownBy(() -> FrameCodec.encode(1, new Message.SessionOpened(tooLong, false)));
            assertThatIllegalArgumentException().isThrownBy(() -> FrameCodec.encode(1, new Message.CloseSession(tooLong)));
            assertThatIllegalArgumentException().isThrownBy(() -> FrameCodec.encode(1, new Message.PeerMessage("", tooLong, new byte[0])));
            assertThatIllegalArgumentException().isThrownBy(() -> FrameCodec.encode(1, new Message.GoAway(GoAwayReason.IDLE, tooLong)));
            assertThatIllegalArgumentException().isThrownBy(() -> FrameCodec.encode(1, new Message.Error(ErrorCode.TIMEOUT, tooLong)));
        }

        @Test
        void timeoutOutsideTheU32RangeThrows() {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> FrameCodec.encode(1, new Message.Invoke("f", "", -1, new byte[0])));
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> FrameCodec.encode(1, new Message.Invoke("f", "", 0x1_0000_0000L, new byte[0])));
        }

        @Test
        void maxFrameBytesOutsideTheU32RangeThrows() {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> FrameCodec.encode(1, new Message.Welcome("p", 0x1_0000_0000L, "")));
        }
    }

    @Nested
    class Utf8Length {

        @Test
        void countsOneByteForAscii() {
            assertThat(FrameCodec.utf8Length("hello")).isEqualTo(5);
        }

        @Test
        void countsTwoThreeAndFourByteSequences() {
            assertThat(FrameCodec.utf8Length("é")).isEqualTo(2);
            assertThat(FrameCodec.utf8Length("€")).isEqualTo(3);
            assertThat(FrameCodec.utf8Length("😀")).isEqualTo(4);
        }

        @Test
        void agreesWithTheEncodedLengthOfAMixedString() {
            assertThat(FrameCodec.utf8Length(NON_ASCII)).isEqualTo(NON_ASCII.getBytes(StandardCharsets.UTF_8).length);
        }

        @Test
        void isZeroForTheEmptyString() {
            assertThat(FrameCodec.utf8Length("")).isZero();
        }
    }
}
