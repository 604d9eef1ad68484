package io.praas.process.function;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * Loads an application's classes from its jar, child first, so the application's own libraries win
 * over the runtime's. Only the SDK's API (the packages functions share with the runtime) and the
 * logging API come from the runtime.
 */
final class ApplicationClassLoader extends URLClassLoader {
    private static final String[] SHARED = {
        "java.", "javax.", "jdk.", "sun.",
        "io.praas.function.", "io.praas.codec.", "io.praas.client.", "io.praas.protocol.", "io.praas.auth.",
        "org.slf4j.",
    };

    static {
        ClassLoader.registerAsParallelCapable();
    }

    ApplicationClassLoader(String name, URL[] urls, ClassLoader runtime) {
        super(name, urls, runtime);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (shared(name)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                try {
                    c = findClass(name);
                } catch (ClassNotFoundException e) {
                    c = super.loadClass(name, false);
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    @Override
    public URL getResource(String name) {
        if (name.startsWith("META-INF/services/io.praas.")) {
            return findResource(name); // only the application's own function list
        }
        URL own = findResource(name);
        return own != null ? own : super.getResource(name);
    }

    @Override
    public java.util.Enumeration<URL> getResources(String name) throws java.io.IOException {
        if (name.startsWith("META-INF/services/io.praas.")) {
            return findResources(name); // ServiceLoader reads these: the runtime's lists are not the application's
        }
        return super.getResources(name);
    }

    private static boolean shared(String name) {
        for (String prefix : SHARED) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
