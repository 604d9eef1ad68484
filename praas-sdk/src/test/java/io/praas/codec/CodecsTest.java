package io.praas.codec;

import com.fasterxml.jackson.core.type.TypeReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The built-in payload codecs: raw bytes, UTF-8, Jackson JSON and Kryo. */
class CodecsTest {

    record Order(String item, int quantity, List<String> tags) {
    }

    record Point(int x, int y) {
    }

    record Cart(String id, List<Order> orders, Map<String, Integer> stock) {
    }

    private static final Order ORDER = new Order("book – “Der Zauberberg”", 2, List.of("gift", "express"));

    @Nested
    class Bytes {

        @Test
        void bytesRoundTripUnchanged() {
            byte[] payload = {0, 1, (byte) 0x80, (byte) 0xFF};

            assertThat(Codecs.bytes().decode(Codecs.bytes().encode(payload))).containsExactly(payload);
        }

        @Test
        void bytesEncodeNullAsEmpty() {
            assertThat(Codecs.bytes().encode(null)).isEmpty();
        }
    }

    @Nested
    class Utf8 {

        @Test
        void utf8RoundTripsNonAsciiText() {
            String text = "Grüße, 世界 😀";

            assertThat(Codecs.utf8().decode(Codecs.utf8().encode(text))).isEqualTo(text);
        }

        @Test
        void utf8EncodesAsUtf8Bytes() {
            assertThat(Codecs.utf8().encode("é€")).containsExactly(0xC3, 0xA9, 0xE2, 0x82, 0xAC);
        }

        @Test
        void utf8EncodesNullAsEmpty() {
            assertThat(Codecs.utf8().encode(null)).isEmpty();
        }

        @Test
        void utf8DecodesEmptyBytesAsEmptyString() {
            assertThat(Codecs.utf8().decode(new byte[0])).isEmpty();
        }
    }

    @Nested
    class Json {

        @Test
        void jsonRoundTripsARecord() {
            Codec<Order> json = Codecs.json(Order.class);

            assertThat(json.decode(json.encode(ORDER))).isEqualTo(ORDER);
        }

        @Test
        void jsonEncodesARecordAsAJsonObjectOfItsComponents() {
            byte[] wire = Codecs.json(Point.class).encode(new Point(3, -4));

            assertThat(new String(wire, StandardCharsets.UTF_8)).isEqualTo("{\"x\":3,\"y\":-4}");
        }

        @Test
        void jsonRoundTripsAGenericType() {
            Type listOfPoints = new TypeReference<List<Point>>() { }.getType();
            Codec<List<Point>> json = Codecs.json(listOfPoints);
            List<Point> points = List.of(new Point(1, 2), new Point(3, 4));

            List<Point> back = json.decode(json.encode(points));

            assertThat(back).containsExactly(new Point(1, 2), new Point(3, 4));
        }

        @Test
        void jsonIgnoresUnknownProperties() {
            byte[] wire = "{\"x\":1,\"y\":2,\"z\":3}".getBytes(StandardCharsets.UTF_8);

            assertThat(Codecs.json(Point.class).decode(wire)).isEqualTo(new Point(1, 2));
        }

        @Test
        void jsonDecodingGarbageThrowsCodecException() {
            byte[] garbage = "{\"x\": 1, oops".getBytes(StandardCharsets.UTF_8);

            assertThatThrownBy(() -> Codecs.json(Point.class).decode(garbage))
                    .isInstanceOf(CodecException.class);
        }

        @Test
        void jsonDecodingBinaryGarbageThrowsCodecException() {
            byte[] garbage = {(byte) 0xFF, 0x00, 0x13, 0x37};

            assertThatThrownBy(() -> Codecs.json(Order.class).decode(garbage))
                    .isInstanceOf(CodecException.class);
        }

        @Test
        void jsonDecodingTheWrongShapeThrowsCodecException() {
            byte[] array = "[1, 2]".getBytes(StandardCharsets.UTF_8);

            assertThatThrownBy(() -> Codecs.json(Point.class).decode(array))
                    .isInstanceOf(CodecException.class);
        }

        @Test
        void jsonDecodingNoBytesThrowsCodecException() {
            assertThatThrownBy(() -> Codecs.json(Point.class).decode(new byte[0]))
                    .isInstanceOf(CodecException.class);
        }
    }

    @Nested
    class ForType {

        @Test
        void forTypePicksBytesForByteArrays() {
            assertThat(Codecs.<byte[]>forType(byte[].class)).isSameAs(Codecs.bytes());
        }

        @Test
        void forTypePicksUtf8ForStrings() {
            assertThat(Codecs.<String>forType(String.class)).isSameAs(Codecs.utf8());
        }

        @Test
        void forTypePicksJsonForARecord() {
            Codec<Point> codec = Codecs.forType(Point.class);

            byte[] wire = codec.encode(new Point(5, 6));

            assertThat(new String(wire, StandardCharsets.UTF_8)).isEqualTo("{\"x\":5,\"y\":6}");
            assertThat(codec.decode(wire)).isEqualTo(new Point(5, 6));
        }

        @Test
        void forTypePicksJsonForABoxedNumber() {
            Codec<Integer> codec = Codecs.forType(Integer.class);

            assertThat(new String(codec.encode(42), StandardCharsets.UTF_8)).isEqualTo("42");
            assertThat(codec.decode("42".getBytes(StandardCharsets.UTF_8))).isEqualTo(42);
        }

        @Test
        void forTypePicksJsonForAGenericType() {
            Type mapOfInts = new TypeReference<Map<String, Integer>>() { }.getType();
            Codec<Map<String, Integer>> codec = Codecs.forType(mapOfInts);

            assertThat(codec.decode("{\"a\":1,\"b\":2}".getBytes(StandardCharsets.UTF_8)))
                    .containsExactlyInAnyOrderEntriesOf(Map.of("a", 1, "b", 2));
        }

        @Test
        void forTypeOfVoidEncodesNothingAndDecodesNull() {
            Codec<Void> codec = Codecs.forType(Void.class);

            assertThat(codec.encode(null)).isEmpty();
            assertThat(codec.decode(new byte[] {1, 2})).isNull();
        }
    }

    @Nested
    class Kryo {

        private final KryoCodec kryo = new KryoCodec(CodecsTest.class.getClassLoader());

        @Test
        void kryoRoundTripsARecord() {
            Codec<Order> codec = kryo.forType(Order.class);

            assertThat(codec.decode(codec.encode(ORDER))).isEqualTo(ORDER);
        }

        @Test
        void kryoRoundTripsANestedRecordWithCollections() {
            Map<String, Integer> stock = new LinkedHashMap<>();
            stock.put("book", 3);
            stock.put("pen", 0);
            Cart cart = new Cart("cart-42", new ArrayList<>(List.of(ORDER, new Order("pen", 1, new ArrayList<>()))), stock);

            assertThat(kryo.<Cart>decodeObject(kryo.encodeObject(cart))).isEqualTo(cart);
        }

        @Test
        void kryoRoundTripsAHashMap() {
            HashMap<String, Object> map = new HashMap<>();
            map.put("count", 3);
            map.put("name", "Zoë");
            map.put("point", new Point(1, 2));
            map.put("nothing", null);

            Object back = kryo.decodeObject(kryo.encodeObject(map));

            assertThat(back).isInstanceOf(HashMap.class).isEqualTo(map);
        }

        @Test
        void kryoRoundTripsAnArrayList() {
            List<Object> list = new ArrayList<>(List.of(1, "two", 3.0, new Point(4, 4)));

            Object back = kryo.decodeObject(kryo.encodeObject(list));

            assertThat(back).isInstanceOf(ArrayList.class).isEqualTo(list);
        }

        @Test
        void kryoRoundTripsAnImmutableList() {
            // The KryoCodec class documentation shows exactly this.
            byte[] bytes = kryo.encodeObject(List.of(1, 2, 3));

            List<Integer> back = kryo.decodeObject(bytes);

            assertThat(back).containsExactly(1, 2, 3);
        }

        @Test
        void kryoRoundTripsAnImmutableMap() {
            Map<String, Integer> map = Map.of("a", 1, "b", 2);

            Map<String, Integer> back = kryo.decodeObject(kryo.encodeObject(map));

            assertThat(back).containsExactlyInAnyOrderEntriesOf(map);
        }

        @Test
        void kryoRoundTripsNull() {
            assertThat(kryo.<Object>decodeObject(kryo.encodeObject(null))).isNull();
        }

        @Test
        void codecsKryoRoundTripsARecord() {
            Codec<Point> codec = Codecs.kryo(Point.class);

            assertThat(codec.decode(codec.encode(new Point(7, 8)))).isEqualTo(new Point(7, 8));
        }

        @Test
        void kryoDecodingGarbageThrowsCodecException() {
            byte[] garbage = "definitely not kryo".getBytes(StandardCharsets.UTF_8);

            assertThatThrownBy(() -> kryo.decodeObject(garbage)).isInstanceOf(CodecException.class);
        }

        @Test
        void kryoDecodingNoBytesThrowsCodecException() {
            assertThatThrownBy(() -> kryo.decodeObject(new byte[0])).isInstanceOf(CodecException.class);
        }

        @Test
        void kryoDecodingATruncatedValueThrowsCodecException() {
            byte[] whole = kryo.encodeObject(ORDER);
            byte[] truncated = java.util.Arrays.copyOf(whole, whole.length / 2);

            assertThatThrownBy(() -> kryo.decodeObject(truncated)).isInstanceOf(CodecException.class);
        }

        @Test
        void typedKryoCodecRejectsAValueOfAnotherType() {
            byte[] aString = kryo.encodeObject("forty-two");

            assertThatThrownBy(() -> kryo.forType(Integer.class).decode(aString))
                    .isInstanceOf(CodecException.class)
                    .hasMessageContaining("java.lang.Integer")
                    .hasMessageContaining("java.lang.String");
        }

        @Test
        void typedKryoCodecForAPrimitiveTypeAcceptsTheBoxedValue() {
            byte[] fortyTwo = kryo.encodeObject(42);

            assertThat(kryo.forType(int.class).decode(fortyTwo)).isEqualTo(42);
        }

        @Test
        void typedKryoCodecPassesNullThrough() {
            Codec<Point> codec = kryo.forType(Point.class);

            assertThat(codec.decode(codec.encode(null))).isNull();
        }
    }
}
