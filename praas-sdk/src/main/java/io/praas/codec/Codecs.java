package io.praas.codec;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

/**
 * The built-in codecs: raw bytes, UTF-8 strings, Jackson JSON and Kryo.
 *
 * <pre>{@code
 * Codec<String> text = Codecs.utf8();
 * Codec<Point> json = Codecs.json(Point.class);
 * Codec<Point> kryo = Codecs.kryo(Point.class);
 * }</pre>
 *
 * <p>{@link #forType} picks the default codec of a function's input or output type: bytes for
 * {@code byte[]}, UTF-8 for {@code String}, JSON for everything else (so the same function can be
 * called from any language and through the control plane's HTTP API).
 */
public final class Codecs {
    // Built when first used (JSON, Kryo): a process whose functions use bytes and strings starts without them.
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper()
                .findAndRegisterModules()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    private static final class Kryo {
        static final KryoCodec CODEC = new KryoCodec(Codecs.class.getClassLoader());
    }

    private static final Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
            return value == null ? new byte[0] : value;
        }

        @Override
        public byte[] decode(byte[] bytes) {
            return bytes;
        }
    };

    private static final Codec<String> UTF8 = new Codec<>() {
        @Override
        public byte[] encode(String value) {
            return value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    };

    private Codecs() {
    }

    public static Codec<byte[]> bytes() {
        return BYTES;
    }

    public static Codec<String> utf8() {
        return UTF8;
    }

    /** Jackson JSON for {@code type}. */
    public static <T> Codec<T> json(Class<T> type) {
        return json(Json.MAPPER.getTypeFactory().constructType(type));
    }

    /** Jackson JSON for a generic type (for example {@code List<Point>}). */
    public static <T> Codec<T> json(Type type) {
        return json(Json.MAPPER.getTypeFactory().constructType(type));
    }

    private static <T> Codec<T> json(JavaType type) {
        return new Codec<>() {
            @Override
            public byte[] encode(T value) {
                try {
                    return Json.MAPPER.writeValueAsBytes(value);
                } catch (IOException e) {
                    throw new CodecException("JSON cannot encode " + type + ": " + e.getMessage(), e);
                }
            }

            @Override
            public T decode(byte[] bytes) {
                try {
                    return Json.MAPPER.readValue(bytes, type);
                } catch (IOException e) {
                    throw new CodecException("JSON cannot decode " + type + ": " + e.getMessage(), e);
                }
            }
        };
    }

    /** Kryo for {@code type}, with this class loader (use {@link KryoCodec} for another one). */
    public static <T> Codec<T> kryo(Class<T> type) {
        return Kryo.CODEC.forType(type);
    }

    /** The default codec for a Java type: bytes, UTF-8, or JSON. */
    @SuppressWarnings("unchecked")
    public static <T> Codec<T> forType(Type type) {
        if (type == byte[].class) {
            return (Codec<T>) BYTES;
        }
        if (type == String.class) {
            return (Codec<T>) UTF8;
        }
        if (type == Void.class || type == void.class) {
            return (Codec<T>) VOID;
        }
        return json(type);
    }

    private static final Codec<Void> VOID = new Codec<>() {
        @Override
        public byte[] encode(Void value) {
            return new byte[0];
        }

        @Override
        public Void decode(byte[] bytes) {
            return null;
        }
    };

    static Class<?> box(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        if (type == int.class) {
            return Integer.class;
        }
        if (type == long.class) {
            return Long.class;
        }
        if (type == double.class) {
            return Double.class;
        }
        if (type == boolean.class) {
            return Boolean.class;
        }
        if (type == float.class) {
            return Float.class;
        }
        if (type == short.class) {
            return Short.class;
        }
        if (type == byte.class) {
            return Byte.class;
        }
        return Character.class;
    }
}
