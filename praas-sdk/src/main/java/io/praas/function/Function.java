package io.praas.function;

import io.praas.codec.Codec;
import io.praas.codec.Codecs;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;

/**
 * A function of a PraaS application: like AWS Lambda's {@code RequestHandler<I, O>}, with state,
 * sessions and invocation of other functions in the {@link Context}.
 *
 * <pre>{@code
 * public final class Greet implements Function<String, String> {
 *     public String handle(String name, Context ctx) {
 *         long n = ctx.sessionState().compute("greetings", Long.class, c -> c == null ? 1L : c + 1);
 *         return "hello " + name + " #" + n;
 *     }
 * }
 * }</pre>
 *
 * <p>Functions are found with {@link java.util.ServiceLoader}: list each class in the application
 * jar's {@code META-INF/services/io.praas.function.Function}. A function needs a public no-argument
 * constructor; one instance serves all invocations, concurrently, so keep it stateless and put state
 * in the context's stores. It is invoked by {@link #name()}.
 *
 * <p>Input and output go through {@link #inputCodec()} and {@link #outputCodec()}; by default
 * {@code byte[]} is raw, {@code String} is UTF-8 and any other type is JSON.
 *
 * @param <I> input type
 * @param <O> output type
 */
public interface Function<I, O> {

    /**
     * Runs one invocation. An exception answers FUNCTION_FAILED with its class and message. A
     * {@code byte[]} returned is written to the caller from that array, without a copy: do not
     * change it after returning it.
     */
    O handle(I input, Context context) throws Exception;

    /** The name clients invoke; by default the class's simple name with a lower-case first letter. */
    default String name() {
        FunctionName annotated = getClass().getAnnotation(FunctionName.class);
        if (annotated != null) {
            return annotated.value();
        }
        String simple = getClass().getSimpleName();
        return simple.isEmpty() ? "" : Character.toLowerCase(simple.charAt(0)) + simple.substring(1);
    }

    /** Decodes the input payload; by default the codec of the type argument {@code I}. */
    default Codec<I> inputCodec() {
        return Codecs.forType(typeArgument(getClass(), 0));
    }

    /** Encodes the output payload; by default the codec of the type argument {@code O}. */
    default Codec<O> outputCodec() {
        return Codecs.forType(typeArgument(getClass(), 1));
    }

    /** The {@code index}-th type argument with which {@code type} implements {@code Function}. */
    static Type typeArgument(Class<?> type, int index) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Type t : c.getGenericInterfaces()) {
                if (t instanceof ParameterizedType p && p.getRawType() == Function.class) {
                    Type arg = p.getActualTypeArguments()[index];
                    if (arg instanceof Class<?> || arg instanceof ParameterizedType) {
                        return arg;
                    }
                }
            }
        }
        return byte[].class;
    }
}
