// esbuild bundles the stylesheets a module imports into the entry's .css file.
declare module '*.css';
