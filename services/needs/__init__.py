"""The needs list (需求清单): every need raised, decided and answered."""
