// Jest maps stylesheet imports here: tests don't need styles.
export {};
