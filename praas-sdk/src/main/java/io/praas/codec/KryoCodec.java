package io.praas.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.util.Pool;
import org.objenesis.strategy.StdInstantiatorStrategy;

/**
 * Kryo encoding of arbitrary Java values (records, POJOs, collections), class names included so
 * that no registration is needed. Thread-safe: Kryo instances come from a pool.
 *
 * <pre>{@code
 * KryoCodec kryo = new KryoCodec(getClass().getClassLoader());
 * byte[] bytes = kryo.encodeObject(List.of(1, 2, 3));
 * List<Integer> back = kryo.decodeObject(bytes);
 * }</pre>
 */
public final class KryoCodec {
    private final Pool<Kryo> pool;

    public KryoCodec(ClassLoader classLoader) {
        this.pool = new Pool<>(true, false, 64) {
            @Override
            protected Kryo create() {
                Kryo kryo = new Kryo();
                kryo.setRegistrationRequired(false);
                kryo.setReferences(true);
                kryo.setClassLoader(classLoader);
                kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
                return kryo;
            }
        };
    }

    public byte[] encodeObject(Object value) {
        Kryo kryo = pool.obtain();
        try (Output out = new Output(256, -1)) {
            kryo.writeClassAndObject(out, value);
            return out.toBytes();
        } catch (KryoException | IllegalArgumentException e) {
            throw new CodecException("Kryo cannot encode " + describe(value) + ": " + e.getMessage(), e);
        } finally {
            pool.free(kryo);
        }
    }

    @SuppressWarnings("unchecked")
    public <T> T decodeObject(byte[] bytes) {
        Kryo kryo = pool.obtain();
        try (Input in = new Input(bytes)) {
            return (T) kryo.readClassAndObject(in);
        } catch (KryoException | IllegalArgumentException e) {
            throw new CodecException("Kryo cannot decode " + bytes.length + " bytes: " + e.getMessage(), e);
        } finally {
            pool.free(kryo);
        }
    }

    /** A typed codec that checks the decoded value's type. */
    public <T> Codec<T> forType(Class<T> type) {
        return new Codec<>() {
            @Override
            public byte[] encode(T value) {
                return encodeObject(value);
            }

            @Override
            public T decode(byte[] bytes) {
                Object v = decodeObject(bytes);
                if (v != null && !Codecs.box(type).isInstance(v)) {
                    throw new CodecException("expected " + type.getName() + " but decoded " + v.getClass().getName(), null);
                }
                @SuppressWarnings("unchecked")
                T t = (T) v;
                return t;
            }
        };
    }

    private static String describe(Object value) {
        return value == null ? "null" : value.getClass().getName();
    }
}
