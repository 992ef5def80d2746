// JSON Schema (draft 2020-12) validator: knows nothing about models.
