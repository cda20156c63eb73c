"""Between the plan and the core: the plan as a core problem and its result as a schedule
(`adapter`), the previous version when re-planning (`baseline`), why tasks are late
(`explain`)."""
