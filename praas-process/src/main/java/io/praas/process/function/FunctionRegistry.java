package io.praas.process.function;

import io.praas.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The functions of the application jar. They are found with {@link ServiceLoader}: the jar lists
 * its {@link Function} classes in {@code META-INF/services/io.praas.function.Function}. The jar
 * gets its own class loader.
 */
public final class FunctionRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(FunctionRegistry.class);

    private final Map<String, RegisteredFunction> functions;
    private final ClassLoader classLoader;

    private FunctionRegistry(Map<String, RegisteredFunction> functions, ClassLoader classLoader) {
        this.functions = functions;
        this.classLoader = classLoader;
    }

    /**
     * Loads the functions of an application jar.
     *
     * @throws FunctionLoadingException when the jar is missing, lists no function, lists a class that
     *     cannot be instantiated, or two functions share a name
     */
    public static FunctionRegistry load(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new FunctionLoadingException("application jar " + jar + " does not exist");
        }
        URL url;
        try {
            url = jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new FunctionLoadingException("bad application jar path " + jar + ": " + e.getMessage());
        }
        ApplicationClassLoader loader = new ApplicationClassLoader("praas-app", new URL[] {url},
                FunctionRegistry.class.getClassLoader());
        return load(loader, jar.toString());
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    static FunctionRegistry load(ClassLoader loader, String source) {
        List<Function<?, ?>> listed = new ArrayList<>();
        try {
            for (Function f : ServiceLoader.load(Function.class, loader)) {
                listed.add(f);
            }
        } catch (ServiceConfigurationError e) {
            throw new FunctionLoadingException("cannot load a function of " + source + ": " + e.getMessage());
        }
        return of(loader, source, listed);
    }

    /**
     * A registry of functions given as instances (for embedding a process in another program, and
     * for tests); {@code loader} is the class loader of their state values.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    public static FunctionRegistry of(ClassLoader loader, String source, List<? extends Function<?, ?>> listed) {
        Map<String, RegisteredFunction> found = new LinkedHashMap<>();
        for (Function f : listed) {
            String name = f.name();
            if (name == null || name.isBlank()) {
                throw new FunctionLoadingException(f.getClass().getName() + " has an empty name");
            }
            RegisteredFunction previous = found.put(name, new RegisteredFunction(name, f, f.inputCodec(), f.outputCodec()));
            if (previous != null) {
                throw new FunctionLoadingException("two functions are named '" + name + "': "
                        + previous.function().getClass().getName() + " and " + f.getClass().getName());
            }
        }
        if (found.isEmpty()) {
            throw new FunctionLoadingException(source + " lists no function in META-INF/services/"
                    + Function.class.getName());
        }
        LOG.info("loaded {} functions from {}: {}", found.size(), source, found.keySet());
        return new FunctionRegistry(Collections.unmodifiableMap(found), loader);
    }

    /** The function of that name, or null. */
    public RegisteredFunction get(String name) {
        return functions.get(name);
    }

    public Iterable<String> names() {
        return functions.keySet();
    }

    /** The application's class loader (Kryo decodes state values of application classes with it). */
    public ClassLoader classLoader() {
        return classLoader;
    }

}
